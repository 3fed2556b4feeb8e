package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4/pkg/media"
)

// frame is one encoded VP8 frame of a clip.
type frame struct {
	data     []byte
	keyframe bool
}

// clip is a pre-encoded VP8 stream, read once and shared by every participant that sends it.
type clip struct {
	frames   []frame
	duration time.Duration
	// keyframes[i] is the index of the first keyframe at or after frame i (wrapping around).
	keyframes []int
	// starts are the key frames' indices: where a participant may start.
	starts []int
}

// readIVF parses an IVF file (32-byte file header, then a 12-byte header before each frame).
func readIVF(path string, fps float64) (*clip, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 32 || string(b[:4]) != "DKIF" || string(b[8:12]) != "VP80" {
		return nil, fmt.Errorf("%s: not a VP8 IVF file", path)
	}
	c := &clip{duration: time.Duration(float64(time.Second) / fps)}
	for off := int(binary.LittleEndian.Uint16(b[6:8])); off+12 <= len(b); {
		size := int(binary.LittleEndian.Uint32(b[off : off+4]))
		start := off + 12
		if size == 0 || start+size > len(b) {
			return nil, fmt.Errorf("%s: truncated frame at byte %d", path, off)
		}
		data := b[start : start+size]
		// VP8 frame tag: bit 0 of the first byte is 0 for a key frame (RFC 6386, 9.1).
		c.frames = append(c.frames, frame{data: data, keyframe: data[0]&1 == 0})
		off = start + size
	}
	if len(c.frames) == 0 || !c.frames[0].keyframe {
		return nil, fmt.Errorf("%s: a clip must start with a key frame", path)
	}
	c.keyframes = make([]int, len(c.frames))
	next := 0 // the first frame is a key frame, so wrapping lands there
	for i := len(c.frames) - 1; i >= 0; i-- {
		if c.frames[i].keyframe {
			next = i
			c.starts = append([]int{i}, c.starts...)
		}
		c.keyframes[i] = next
	}
	return c, nil
}

// clipProvider loops a clip for one simulcast layer of one participant. A keyframe request
// (PLI/FIR from the SFU) is answered by jumping to the clip's next key frame, since a file
// cannot encode one on demand.
type clipProvider struct {
	c       *clip
	pos     int
	wantKey atomic.Bool
}

var errClosed = errors.New("closed")

// newClipProvider starts the clip at one of its key frames, chosen by seat, so that the
// participants of a room do not all show the same frame.
func newClipProvider(c *clip, seat int) *clipProvider {
	return &clipProvider{c: c, pos: c.starts[seat%len(c.starts)]}
}

func (p *clipProvider) NextSample(ctx context.Context) (media.Sample, error) {
	if ctx.Err() != nil {
		return media.Sample{}, errClosed
	}
	if p.wantKey.Swap(false) && !p.c.frames[p.pos].keyframe {
		p.pos = p.c.keyframes[p.pos]
	}
	f := p.c.frames[p.pos]
	p.pos = (p.pos + 1) % len(p.c.frames)
	return media.Sample{Data: f.data, Duration: p.c.duration}, nil
}

// OnBind: a newly negotiated track starts at a key frame, or the receiver waits for the next.
func (p *clipProvider) OnBind() error {
	p.wantKey.Store(true)
	return nil
}
func (p *clipProvider) OnUnbind() error { return nil }
func (p *clipProvider) Close() error    { return nil }

// silenceProvider sends an Opus silence frame every 400 ms, as a browser's microphone does with
// DTX (LiveKit's default) in a quiet room.
type silenceProvider struct{}

// A 20 ms CELT frame that decodes to silence (TOC 0xf8, then the empty-frame bytes).
var opusSilence = []byte{0xf8, 0xff, 0xfe}

func (silenceProvider) NextSample(ctx context.Context) (media.Sample, error) {
	if ctx.Err() != nil {
		return media.Sample{}, errClosed
	}
	return media.Sample{Data: opusSilence, Duration: 400 * time.Millisecond}, nil
}
func (silenceProvider) OnBind() error   { return nil }
func (silenceProvider) OnUnbind() error { return nil }
func (silenceProvider) Close() error    { return nil }
func (silenceProvider) CurrentAudioLevel() uint8 {
	return 127 // -127 dBov: silence
}
