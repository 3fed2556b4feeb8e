package main

import (
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// sentCounters counts what really leaves for the SFU, per picture: an RTP interceptor sees every
// packet written, so layers paused by dynacast (the SDK then skips them) are not counted.
type sentCounters struct {
	bySSRC sync.Map // uint32 -> *counters
	total  map[string]*counters
}

func newSentCounters() *sentCounters {
	s := &sentCounters{total: map[string]*counters{}}
	for _, name := range []string{"screen.low", "screen.high", "camera.low", "camera.high", "witness.low", "witness.high", "microphone"} {
		s.total[name] = &counters{}
	}
	return s
}

// stream says which picture and layer ("camera.low") an outgoing RTP stream belongs to.
func (s *sentCounters) stream(ssrc uint32, picture string) { s.bySSRC.Store(ssrc, s.total[picture]) }

type sentInterceptor struct {
	interceptor.NoOp
	s *sentCounters
}

// BindLocalStream wraps every outgoing stream. Its SSRC is named (see stream) only once the track
// is bound, so the picture is looked up per packet; the few packets before that go uncounted.
func (i *sentInterceptor) BindLocalStream(_ *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	var c *counters
	return interceptor.RTPWriterFunc(func(header *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		n, err := writer.Write(header, payload, a)
		if c == nil {
			if v, ok := i.s.bySSRC.Load(header.SSRC); ok {
				c = v.(*counters)
			}
		}
		if err == nil && c != nil {
			c.bytes.Add(int64(n))
			c.packets.Add(1)
			// The marker bit ends a video frame (RFC 7741); audio sends one frame per packet anyway.
			if header.Marker {
				c.frames.Add(1)
			}
		}
		return n, err
	})
}

type sentFactory struct{ s *sentCounters }

func (f sentFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &sentInterceptor{s: f.s}, nil
}
