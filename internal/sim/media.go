package sim

import (
	"bytes"
	_ "embed"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"
)

// demoWebM is a real 2-second, 160x96 VP8 WebM (920 bytes), encoded once
// with vpxenc from a generated test pattern, so a downloaded "video" plays.
//
//go:embed media/demo.webm
var demoWebM []byte

// mediaPrefix is the path under which a simulator with ServeMedia serves
// screenshots and videos. It sits outside the API paths, so media requests
// never count as API requests nor need the key.
const mediaPrefix = "/media/"

// mediaFiles holds the bodies served under mediaPrefix, built once per
// Server: screenshots are small PNGs, before and after in different colours
// so the two are told apart at a glance.
type mediaFiles struct {
	before, after []byte
}

func newMediaFiles() mediaFiles {
	return mediaFiles{
		before: solidPNG(color.RGBA{R: 0x4a, G: 0x90, B: 0xd9, A: 0xff}),
		after:  solidPNG(color.RGBA{R: 0xd9, G: 0x4a, B: 0x4a, A: 0xff}),
	}
}

// solidPNG renders a 160x96 screenshot stand-in: a coloured page with a
// darker header bar.
func solidPNG(c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 160, 96))
	dark := color.RGBA{R: c.R / 2, G: c.G / 2, B: c.B / 2, A: 0xff}
	for y := range 96 {
		for x := range 160 {
			if y < 16 {
				img.SetRGBA(x, y, dark)
			} else {
				img.SetRGBA(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // an in-memory encode of a valid image cannot fail
	}
	return b.Bytes()
}

// handleMedia answers GET /media/runs/{id}/attempt-{n}/{name} for runs that
// exist: step-N-before.png, step-N-after.png, video.webm and
// download/video.webm, the names artifactURL hands out. Media hosts are
// not the API: no key is checked, and a request that carries one anyway is
// counted, so tests can prove the gate never sends it.
func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request) {
	s.mediaGets.Add(1)
	if r.Header.Get("X-API-KEY") != "" {
		s.mediaWithKey.Add(1)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, ctype, ok := s.mediaBody(strings.TrimPrefix(r.URL.Path, mediaPrefix))
	if !ok {
		http.NotFound(w, r)
		return
	}
	// Storage services often label media as binary/octet-stream; the
	// simulator does the same for videos so clients must sniff content.
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// mediaBody resolves a media path ("runs/38/attempt-1/step-3-after.png").
func (s *Server) mediaBody(p string) (body []byte, ctype string, ok bool) {
	parts := strings.SplitN(p, "/", 4)
	if len(parts) < 4 || parts[0] != "runs" || !strings.HasPrefix(parts[2], "attempt-") {
		return nil, "", false
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, "", false
	}
	s.mu.Lock()
	rn := s.runs[id]
	s.mu.Unlock()
	if rn == nil {
		return nil, "", false
	}
	name := parts[3]
	switch {
	case name == "video.webm" || name == "download/video.webm":
		return demoWebM, "binary/octet-stream", true
	case strings.HasPrefix(name, "step-") && strings.HasSuffix(name, "-before.png"):
		return s.media.before, "image/png", true
	case strings.HasPrefix(name, "step-") && strings.HasSuffix(name, "-after.png"):
		return s.media.after, "image/png", true
	}
	return nil, "", false
}

// mediaBase is the prefix of the media URLs in an answer to r: the
// configured ArtifactBaseURL, or with ServeMedia and none configured, this
// very server as the client reached it, so httptest and Start both work
// without knowing their port in advance.
func (s *Server) mediaBase(r *http.Request) string {
	if !s.serveMedia || s.artifactsSet {
		return s.artifacts
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + strings.TrimSuffix(mediaPrefix, "/")
}
