// Command examsim is the exam-day simulator's candidate fleet: many simulated candidates in one
// process, each a PC participant (screen, camera, silent microphone) and a phone participant
// (witness camera) publishing pre-encoded VP8 simulcast clips into LiveKit, so that a load test
// measures the SFU and the app rather than video encoders. It also runs grid-like viewers.
//
// Usage: examsim -clips DIR. Control: one JSON command per line on stdin; one JSON reply per
// line on stdout, carrying the command's "req"; logs go to stderr.
//
//	{"req":1,"op":"join","id":"12","url":"ws://…","pcToken":"…","phoneToken":"…"}
//	{"req":2,"op":"leave","id":"12"}
//	{"req":3,"op":"view","id":"v1","url":"ws://…","token":"…","capacity":48}
//	{"req":4,"op":"stats"}
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	protoLogger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

type command struct {
	Req        int64  `json:"req"`
	Op         string `json:"op"`
	ID         string `json:"id"`
	URL        string `json:"url"`
	PCToken    string `json:"pcToken"`
	PhoneToken string `json:"phoneToken"`
	Token      string `json:"token"`
	Capacity   int    `json:"capacity"`
}

type fleet struct {
	lib        *library
	sent       *sentCounters
	mu         sync.Mutex
	candidates map[string]*candidate
	joining    map[string]bool
	viewers    map[string]*viewer
	seats      int
	out        *json.Encoder
	outMu      sync.Mutex
}

func (f *fleet) reply(req int64, body map[string]any) {
	body["req"] = req
	f.outMu.Lock()
	defer f.outMu.Unlock()
	if err := f.out.Encode(body); err != nil {
		fmt.Fprintln(os.Stderr, "examsim: cannot write a reply:", err)
		os.Exit(1)
	}
}

func (f *fleet) fail(req int64, err error) { f.reply(req, map[string]any{"error": err.Error()}) }

func (f *fleet) handle(c command) {
	switch c.Op {
	case "join":
		f.mu.Lock()
		if f.candidates[c.ID] != nil || f.joining[c.ID] {
			f.mu.Unlock()
			f.fail(c.Req, fmt.Errorf("candidate %s is already in", c.ID))
			return
		}
		f.joining[c.ID] = true
		f.seats++
		seat := f.seats
		f.mu.Unlock()
		cand, timing, err := f.joinCandidate(c.URL, c.PCToken, c.PhoneToken, seat)
		f.mu.Lock()
		delete(f.joining, c.ID)
		if err == nil {
			f.candidates[c.ID] = cand
		}
		f.mu.Unlock()
		if err != nil {
			f.fail(c.Req, err)
			return
		}
		f.reply(c.Req, map[string]any{"timing": timing})
	case "leave":
		f.mu.Lock()
		cand := f.candidates[c.ID]
		delete(f.candidates, c.ID)
		f.mu.Unlock()
		if cand == nil {
			f.fail(c.Req, fmt.Errorf("candidate %s is not in", c.ID))
			return
		}
		cand.leave()
		f.reply(c.Req, map[string]any{})
	case "view":
		v, err := f.startViewer(c.URL, c.Token, c.Capacity)
		if err != nil {
			f.fail(c.Req, err)
			return
		}
		f.mu.Lock()
		old := f.viewers[c.ID]
		f.viewers[c.ID] = v
		f.mu.Unlock()
		if old != nil {
			old.stop()
		}
		f.reply(c.Req, map[string]any{})
	case "stats":
		f.reply(c.Req, f.stats())
	default:
		f.fail(c.Req, fmt.Errorf("unknown op %q", c.Op))
	}
}

func (f *fleet) stats() map[string]any {
	sent := map[string]any{}
	for name, n := range f.sent.total {
		sent[name] = map[string]int64{"frames": n.frames.Load(), "bytes": n.bytes.Load(), "packets": n.packets.Load()}
	}
	viewers := map[string]any{}
	f.mu.Lock()
	for id, v := range f.viewers {
		viewers[id] = map[string]int64{"bytes": v.bytes.Load(), "packets": v.packets.Load(), "live": v.live.Load()}
	}
	n := len(f.candidates)
	f.mu.Unlock()
	return map[string]any{"candidates": n, "sent": sent, "viewers": viewers, "goroutines": runtime.NumGoroutine(), "at": time.Now().UnixMilli()}
}

func main() {
	dir := flag.String("clips", "", "folder with clips.json and the IVF clips it names")
	verbose := flag.Bool("v", false, "log the SDK's messages")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: examsim -clips DIR")
		os.Exit(2)
	}
	if !*verbose {
		lksdk.SetLogger(protoLogger.GetDiscardLogger())
	}
	lib, err := loadLibrary(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "examsim:", err)
		os.Exit(1)
	}
	f := &fleet{lib: lib, sent: newSentCounters(), candidates: map[string]*candidate{}, joining: map[string]bool{}, viewers: map[string]*viewer{}, out: json.NewEncoder(os.Stdout)}
	f.reply(0, map[string]any{"ready": true, "pid": os.Getpid()})

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 1024*1024)
	for in.Scan() {
		var c command
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			f.fail(0, fmt.Errorf("unreadable command: %w", err))
			continue
		}
		if c.Op == "quit" {
			break
		}
		go f.handle(c)
	}
	if err := in.Err(); err != nil && err != io.EOF {
		fmt.Fprintln(os.Stderr, "examsim: reading commands:", err)
	}
	// stdin closed or quit: everyone leaves, so the SFU sees departures rather than timeouts.
	f.mu.Lock()
	var wg sync.WaitGroup
	for _, c := range f.candidates {
		wg.Add(1)
		go func() { defer wg.Done(); c.leave() }()
	}
	for _, v := range f.viewers {
		wg.Add(1)
		go func() { defer wg.Done(); v.stop() }()
	}
	f.mu.Unlock()
	wg.Wait()
}
