package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/livekit/protocol/livekit"
)

// manifest is clips.json, written by tests/sim/clips.ts next to the clips: for each picture a
// candidate publishes, its simulcast layers lowest first, as the app's publishers send them.
type manifest map[string][]struct {
	Quality string  `json:"quality"`
	File    string  `json:"file"`
	Width   uint32  `json:"width"`
	Height  uint32  `json:"height"`
	Fps     float64 `json:"fps"`
	Bitrate uint32  `json:"bitrate"`
}

type layer struct {
	info *livekit.VideoLayer
	clip *clip
}

// picture is one published video (screen, camera or witness) as a set of simulcast layers.
type picture struct {
	name   string
	layers []layer
}

type counters struct {
	frames  atomic.Int64
	bytes   atomic.Int64
	packets atomic.Int64
}

type library struct {
	pictures map[string]*picture
}

var qualities = map[string]livekit.VideoQuality{"low": livekit.VideoQuality_LOW, "medium": livekit.VideoQuality_MEDIUM, "high": livekit.VideoQuality_HIGH}

func loadLibrary(dir string) (*library, error) {
	b, err := os.ReadFile(filepath.Join(dir, "clips.json"))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("clips.json: %w", err)
	}
	lib := &library{pictures: map[string]*picture{}}
	for _, name := range []string{"screen", "camera", "witness"} {
		layers, ok := m[name]
		if !ok || len(layers) == 0 {
			return nil, fmt.Errorf("clips.json: no layers for %q", name)
		}
		p := &picture{name: name}
		for _, l := range layers {
			q, ok := qualities[l.Quality]
			if !ok {
				return nil, fmt.Errorf("clips.json: %s: unknown quality %q", name, l.Quality)
			}
			c, err := readIVF(filepath.Join(dir, l.File), l.Fps)
			if err != nil {
				return nil, err
			}
			p.layers = append(p.layers, layer{info: &livekit.VideoLayer{Quality: q, Width: l.Width, Height: l.Height, Bitrate: l.Bitrate}, clip: c})
		}
		lib.pictures[name] = p
	}
	return lib, nil
}
