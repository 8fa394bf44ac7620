package artifacts

import "bytes"

// sniffLen is how many leading bytes sniff needs: enough for every magic
// number below, including a WebM DocType a little way into the EBML header.
const sniffLen = 64

// format is a media type recognised by its content.
type format struct {
	ext, mime string
	video     bool
}

// sniff names the image or video format head starts with, or reports false.
// It trusts only magic bytes, never Content-Type: storage services label
// media binary/octet-stream, and a hostile host can label HTML image/png.
// Only formats a browser shows inline are accepted; text of any kind never.
func sniff(head []byte) (format, bool) {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return format{ext: "png", mime: "image/png"}, true
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return format{ext: "jpg", mime: "image/jpeg"}, true
	case bytes.HasPrefix(head, []byte("GIF87a")) || bytes.HasPrefix(head, []byte("GIF89a")):
		return format{ext: "gif", mime: "image/gif"}, true
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return format{ext: "webp", mime: "image/webp"}, true
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}) && isWebMHeader(head):
		return format{ext: "webm", mime: "video/webm", video: true}, true
	case len(head) >= 12 && bytes.Equal(head[4:8], []byte("ftyp")) && isMP4Brand(head[8:12]):
		return format{ext: "mp4", mime: "video/mp4", video: true}, true
	}
	return format{}, false
}

// isWebMHeader looks for the EBML DocType element (0x42 0x82) holding
// "webm" in the header; Matroska files that are not WebM are refused, as
// browsers do not play them.
func isWebMHeader(head []byte) bool {
	i := bytes.Index(head, []byte{0x42, 0x82})
	if i < 0 || i+2 >= len(head) {
		return false
	}
	// The size is one byte (0x80 | n) for every real DocType.
	n := int(head[i+2] &^ 0x80)
	start := i + 3
	return head[i+2]&0x80 != 0 && start+n <= len(head) && string(head[start:start+n]) == "webm"
}

// isMP4Brand accepts the ISO base media brands browsers play as MP4 video.
func isMP4Brand(b []byte) bool {
	switch string(b) {
	case "isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash", "M4V ", "MSNV":
		return true
	}
	return false
}
