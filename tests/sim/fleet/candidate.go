package main

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// joinTiming is measured from just before the signalling connection opens.
type joinTiming struct {
	StartedAt          int64   `json:"startedAt"` // epoch ms
	ConnectMs          float64 `json:"connectMs"`
	ScreenPublishedMs  float64 `json:"screenPublishedMs"`
	CameraPublishedMs  float64 `json:"cameraPublishedMs"`
	WitnessPublishedMs float64 `json:"witnessPublishedMs,omitempty"`
}

// candidate is one simulated candidate: the PC (screen, camera, silent microphone) and, when a
// phone token is given, the phone (witness camera), each its own participant as in the app.
type candidate struct {
	pc    *lksdk.Room
	phone *lksdk.Room
}

var simulcastSeq atomic.Int64

func (f *fleet) connect(url, token string) (*lksdk.Room, error) {
	room := lksdk.NewRoom(lksdk.NewRoomCallback())
	err := room.JoinWithToken(url, token,
		// Candidates' tokens may not subscribe; a publisher that tried would only be refused.
		lksdk.WithAutoSubscribe(false),
		lksdk.WithConnectTimeout(15*time.Second),
		lksdk.WithInterceptors([]interceptor.Factory{sentFactory{f.sent}}),
		lksdk.WithIncludeDefaultInterceptors(true),
	)
	if err != nil {
		return nil, err
	}
	return room, nil
}

// publishPicture publishes a picture as one simulcast track, its layers looping the shared clips
// from a starting point chosen by seat.
func (f *fleet) publishPicture(room *lksdk.Room, name string, source livekit.TrackSource, seat int) error {
	pic := f.lib.pictures[name]
	// Layers of one track share a simulcast id that no other track may use.
	simID := fmt.Sprintf("sim-%d", simulcastSeq.Add(1))
	tracks := make([]*lksdk.LocalTrack, 0, len(pic.layers))
	for _, l := range pic.layers {
		p := newClipProvider(l.clip, seat)
		t, err := lksdk.NewLocalTrack(
			webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
			lksdk.WithSimulcast(simID, l.info),
			lksdk.WithRTCPHandler(func(pkt rtcp.Packet) {
				switch pkt.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					p.wantKey.Store(true)
				}
			}),
		)
		if err != nil {
			return err
		}
		key := name + "." + strings.ToLower(l.info.Quality.String())
		t.OnBind(func() { f.sent.stream(uint32(t.SSRC()), key) })
		if err := t.StartWrite(p, nil); err != nil {
			return err
		}
		tracks = append(tracks, t)
	}
	top := pic.layers[len(pic.layers)-1].info
	_, err := room.LocalParticipant.PublishSimulcastTrack(tracks, &lksdk.TrackPublicationOptions{
		Name: name, Source: source, VideoWidth: int(top.Width), VideoHeight: int(top.Height),
	})
	return err
}

func (f *fleet) publishMicrophone(room *lksdk.Room) error {
	t, err := lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		return err
	}
	t.OnBind(func() { f.sent.stream(uint32(t.SSRC()), "microphone") })
	if err := t.StartWrite(silenceProvider{}, nil); err != nil {
		return err
	}
	_, err = room.LocalParticipant.PublishTrack(t, &lksdk.TrackPublicationOptions{Name: "microphone", Source: livekit.TrackSource_MICROPHONE})
	return err
}

// joinCandidate connects the PC and the phone in parallel, as two devices would, and publishes
// in the order the app's exam page does: screen, camera, microphone.
func (f *fleet) joinCandidate(url, pcToken, phoneToken string, seat int) (*candidate, joinTiming, error) {
	started := time.Now()
	since := func() float64 { return float64(time.Since(started).Microseconds()) / 1000 }
	timing := joinTiming{StartedAt: started.UnixMilli()}
	c := &candidate{}
	var wg sync.WaitGroup
	var phoneErr error
	if phoneToken != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			room, err := f.connect(url, phoneToken)
			if err != nil {
				phoneErr = fmt.Errorf("phone: %w", err)
				return
			}
			c.phone = room
			if err := f.publishPicture(room, "witness", livekit.TrackSource_CAMERA, seat+2); err != nil {
				phoneErr = fmt.Errorf("phone witness: %w", err)
				return
			}
			timing.WitnessPublishedMs = since()
		}()
	}
	pcErr := func() error {
		room, err := f.connect(url, pcToken)
		if err != nil {
			return fmt.Errorf("pc: %w", err)
		}
		c.pc = room
		timing.ConnectMs = since()
		if err := f.publishPicture(room, "screen", livekit.TrackSource_SCREEN_SHARE, seat); err != nil {
			return fmt.Errorf("screen: %w", err)
		}
		timing.ScreenPublishedMs = since()
		if err := f.publishPicture(room, "camera", livekit.TrackSource_CAMERA, seat+1); err != nil {
			return fmt.Errorf("camera: %w", err)
		}
		timing.CameraPublishedMs = since()
		if err := f.publishMicrophone(room); err != nil {
			return fmt.Errorf("microphone: %w", err)
		}
		return nil
	}()
	wg.Wait()
	if pcErr != nil || phoneErr != nil {
		c.leave()
		if pcErr != nil {
			return nil, timing, pcErr
		}
		return nil, timing, phoneErr
	}
	return c, timing, nil
}

func (c *candidate) leave() {
	var wg sync.WaitGroup
	for _, r := range []*lksdk.Room{c.pc, c.phone} {
		if r != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.Disconnect()
			}()
		}
	}
	wg.Wait()
}
