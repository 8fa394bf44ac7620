package docketqa

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fatAnswer builds the test_run fields (after "id") of an answer of about
// size bytes: steps of 5 KB results, or one result holding everything.
func fatAnswer(size int, oneBlob bool) []byte {
	var b bytes.Buffer
	b.WriteString(`"status":"failed","test_blueprint_id":1,"blueprint_metadata":{"title":"Checkout"},"results":[`)
	if oneBlob {
		fmt.Fprintf(&b, `{"step_number":1,"is_successful":false,"task":"Pay","result":"%s"}`, strings.Repeat("x", size))
	} else {
		text := strings.Repeat("The payment form showed an error. ", 150)[:5000]
		for i := 0; b.Len() < size; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"step_number":%d,"is_successful":%v,"task":"Step %d","result":"%s","duration":3,"actions":[{"type":"click_element","screenshot_url":"https://s3.example/runs/%d/%d.png?X-Amz-Signature=%s"}]}`,
				i+1, i != 30, i+1, text, i, i, strings.Repeat("ab", 32))
		}
	}
	b.WriteString(`],"test_video_url":"https://s3.example/v.webm"}}`)
	return b.Bytes()
}

// retained adds up the bytes a decoded run keeps in texts and links.
func retained(r *TestRun) int {
	n := len(r.Status) + len(r.Title) + len(r.VideoURL)
	steps := func(ss []Step) {
		for _, s := range ss {
			n += len(s.Task) + len(s.Result)
			for _, u := range s.Screenshots {
				n += len(u)
			}
		}
	}
	steps(r.Steps)
	for _, a := range r.Retries {
		steps(a.Steps)
		n += len(a.VideoURL)
	}
	return n
}

// BenchmarkDecode decodes one answer, from the 300 KB of a run with 50
// steps of 5 KB text to the 7.5 MB just under the body limit. B/op is what
// decoding allocates in all (garbage, mostly); retained-B is what the run
// keeps, which follows the Limits, not the answer.
func BenchmarkDecode(b *testing.B) {
	c := decoderClient(b)
	for _, bc := range []struct {
		name string
		size int
		blob bool
	}{{"300KB-50steps", 300_000, false}, {"7.5MB-steps", 7_500_000, false}, {"7.5MB-one-field", 7_500_000, true}} {
		raw := append([]byte(`{"test_run":{"id":38,`), fatAnswer(bc.size, bc.blob)...)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			var r *TestRun
			for b.Loop() {
				var err error
				if r, err = decodeGet(c, raw, 38); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(retained(r)), "retained-B")
			b.ReportMetric(float64(len(r.Steps)), "steps-kept")
		})
	}
}

// BenchmarkScale polls many runs with fat answers from a loopback server,
// 8 requests in flight (the default --max-parallel), keeping every decoded
// run as the poller does. Run one case at a time under /usr/bin/time -v for
// the process's peak RSS (also reported here as peak-RSS-MiB, from VmHWM):
//
//	go test -c -o docketqa.test ./internal/docketqa
//	/usr/bin/time -v ./docketqa.test -test.run '^$' -test.bench 'BenchmarkScale/1000x300KB' -test.benchtime 1x
//	/usr/bin/time -v ./docketqa.test -test.run '^$' -test.bench 'BenchmarkScale/100x7.5MB' -test.benchtime 1x
func BenchmarkScale(b *testing.B) {
	for _, bc := range []struct {
		name       string
		runs, size int
		blob       bool
	}{
		{"1000x300KB", 1000, 300_000, false},
		{"100x7.5MB", 100, 7_500_000, false},
		{"100x7.5MB-one-field", 100, 7_500_000, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rest := fatAnswer(bc.size, bc.blob)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id := strings.TrimPrefix(r.URL.Path, "/test_run/")
				_, _ = w.Write([]byte(`{"test_run":{"id":` + id + `,`))
				_, _ = w.Write(rest)
			}))
			defer srv.Close()
			const parallel = 8
			c, err := New(srv.URL, testKey, WithMaxConns(parallel))
			if err != nil {
				b.Fatal(err)
			}
			var kept []*TestRun
			for b.Loop() {
				kept = scale(b, c, bc.runs, parallel)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			total := 0
			for _, r := range kept {
				total += retained(r)
			}
			b.ReportMetric(float64(total)/float64(len(kept)), "retained-B/run")
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-after-MiB")
			if hwm := peakRSS(); hwm > 0 {
				b.ReportMetric(hwm, "peak-RSS-MiB")
			}
		})
	}
}

func scale(b *testing.B, c *Client, runs, parallel int) []*TestRun {
	kept := make([]*TestRun, runs)
	ids := make(chan int, runs)
	for i := range runs {
		ids <- i
	}
	close(ids)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for i := range ids {
				r, err := c.GetRun(context.Background(), int64(i+1))
				if err != nil {
					b.Error(err)
					return
				}
				kept[i] = r
			}
		})
	}
	wg.Wait()
	return kept
}

// peakRSS reads the process's peak resident set (Linux), in MiB; 0 elsewhere.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
