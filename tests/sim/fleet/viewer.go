package main

import (
	"sort"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
)

// viewer watches a room as the invigilator's grid does (components/grid/plan.ts): the LOW layer
// of up to `capacity` pictures, cameras first, then screens, then witnesses; nothing else. The
// grid's refreshed stills are left out.
type viewer struct {
	room     *lksdk.Room
	capacity int
	// planned is poked (never closed) when the room's publications change; done ends the planner.
	planned chan struct{}
	done    chan struct{}
	// wanted is what this viewer asked the SFU for, by track sid (the SDK sends every call).
	wanted  map[string]bool
	bytes   atomic.Int64
	packets atomic.Int64
	live    atomic.Int64
}

var slotOrder = map[string]int{"camera": 0, "screen": 1, "witness": 2}

func slotOf(pub *lksdk.RemoteTrackPublication, p *lksdk.RemoteParticipant) string {
	if pub.Kind() != lksdk.TrackKindVideo {
		return ""
	}
	if p.Attributes()["device"] == "phone" {
		return "witness"
	}
	if pub.Source() == livekit.TrackSource_SCREEN_SHARE {
		return "screen"
	}
	return "camera"
}

func (f *fleet) startViewer(url, token string, capacity int) (*viewer, error) {
	v := &viewer{capacity: capacity, planned: make(chan struct{}, 1), done: make(chan struct{}), wanted: map[string]bool{}}
	cb := lksdk.NewRoomCallback()
	replan := func() {
		select {
		case v.planned <- struct{}{}:
		default:
		}
	}
	cb.OnTrackPublished = func(*lksdk.RemoteTrackPublication, *lksdk.RemoteParticipant) { replan() }
	cb.OnTrackUnpublished = func(*lksdk.RemoteTrackPublication, *lksdk.RemoteParticipant) { replan() }
	cb.OnParticipantDisconnected = func(*lksdk.RemoteParticipant) { replan() }
	cb.OnTrackSubscribed = func(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
		// The layer asked for with the subscription can be lost while it is set up; ask again.
		_ = pub.SetVideoQuality(livekit.VideoQuality_LOW)
		go v.drain(track)
	}
	room := lksdk.NewRoom(cb)
	if err := room.JoinWithToken(url, token, lksdk.WithAutoSubscribe(false), lksdk.WithConnectTimeout(15*time.Second)); err != nil {
		return nil, err
	}
	v.room = room
	go func() {
		for {
			select {
			case <-v.planned:
				v.plan()
				// Publications arrive in bursts; one plan per burst is enough.
				time.Sleep(200 * time.Millisecond)
			case <-v.done:
				return
			}
		}
	}()
	replan()
	return v, nil
}

// drain reads what the SFU forwards (the receiver must be read for RTCP to flow) and counts it.
func (v *viewer) drain(track *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		v.bytes.Add(int64(n))
		v.packets.Add(1)
	}
}

func (v *viewer) plan() {
	type item struct {
		order    int
		identity string
		pub      *lksdk.RemoteTrackPublication
	}
	var items []item
	for _, p := range v.room.GetRemoteParticipants() {
		for _, t := range p.TrackPublications() {
			pub, ok := t.(*lksdk.RemoteTrackPublication)
			if !ok {
				continue
			}
			if slot := slotOf(pub, p); slot != "" {
				items = append(items, item{slotOrder[slot], p.Identity(), pub})
			}
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].order != items[j].order {
			return items[i].order < items[j].order
		}
		return items[i].identity < items[j].identity
	})
	live := 0
	for i, it := range items {
		want := i < v.capacity
		if want == v.wanted[it.pub.SID()] {
			if want {
				live++
			}
			continue
		}
		v.wanted[it.pub.SID()] = want
		_ = it.pub.SetSubscribed(want)
		if want {
			_ = it.pub.SetVideoQuality(livekit.VideoQuality_LOW)
			live++
		}
	}
	v.live.Store(int64(live))
}

func (v *viewer) stop() {
	v.room.Disconnect()
	close(v.done)
}
