package docketqa

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxyChildBase is set only in the child process of
// TestHTTPSProxyAndSSLCertFile: the base URL the child talks to.
const proxyChildBase = "DOCKETQA_PROXY_TEST_BASE"

// proxyHost is the API's host name in the test. It resolves nowhere (.test
// is reserved), so the request can only succeed through the proxy.
const proxyHost = "docketqa.test"

// TestHTTPSProxyAndSSLCertFile proves that a client built with New and no
// options, as the gate builds it, reaches DocketQA through HTTPS_PROXY and
// trusts a CA given by SSL_CERT_FILE, as corporate CI networks need. Both
// variables are read once per process by the standard library, so the
// request is made by a child process with its own environment, leaving this
// process's environment untouched.
func TestHTTPSProxyAndSSLCertFile(t *testing.T) {
	if base := os.Getenv(proxyChildBase); base != "" {
		proxyChild(t, base)
		return
	}
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cert, caPEM := selfSignedCert(t, proxyHost)
	var apiHits atomic.Int32
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiHits.Add(1)
		if r.Host != proxyHost || r.URL.Path != "/test_run/38" || r.Header.Get("X-API-KEY") != testKey {
			t.Errorf("API got %s %s on host %q, key present %v", r.Method, r.URL.Path, r.Host, r.Header.Get("X-API-KEY") != "")
		}
		_, _ = w.Write([]byte(`{"test_run":{"id":38,"status":"passed"}}`))
	}))
	api.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	api.StartTLS()
	t.Cleanup(api.Close)

	proxy := &connectProxy{t: t, upstream: api.Listener.Addr().String()}
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)
	t.Cleanup(proxy.wait)

	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHTTPSProxyAndSSLCertFile$", "-test.count=1", "-test.v")
	cmd.Env = append(withoutProxyEnv(os.Environ()),
		proxyChildBase+"=https://"+proxyHost,
		"HTTPS_PROXY="+ps.URL,
		"SSL_CERT_FILE="+ca,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if got := proxy.connects.Load(); got != 1 {
		t.Errorf("proxy saw %d CONNECT requests, want 1\n%s", got, out)
	}
	if got := apiHits.Load(); got != 1 {
		t.Errorf("API saw %d requests, want 1", got)
	}
}

// proxyChild runs in the child process: one GetRun through the default
// transport.
func proxyChild(t *testing.T, base string) {
	req, err := http.NewRequest(http.MethodGet, base+"/test_run/38", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Refuse to send anything unless the proxy will carry it: without the
	// proxy the request would leave loopback.
	if u, err := http.ProxyFromEnvironment(req); err != nil || u == nil {
		t.Fatalf("HTTPS_PROXY is not used for %s (proxy %v, err %v)", base, u, err)
	}
	c, err := New(base, testKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	run, err := c.GetRun(ctx, 38)
	if err != nil {
		t.Fatalf("GetRun through the proxy: %v", err)
	}
	if run.Status != "passed" {
		t.Fatalf("status %q, want passed", run.Status)
	}
}

// connectProxy is a minimal HTTPS proxy: it answers CONNECT by tunnelling
// to upstream, whatever host was asked for, and records what it saw.
type connectProxy struct {
	t        *testing.T
	upstream string
	connects atomic.Int32
	wg       sync.WaitGroup
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect || r.Host != proxyHost+":443" {
		p.t.Errorf("proxy got %s %s, want CONNECT %s:443", r.Method, r.Host, proxyHost)
		http.Error(w, "only CONNECT", http.StatusMethodNotAllowed)
		return
	}
	for name, vals := range r.Header {
		for _, v := range vals {
			if strings.Contains(v, testKey) {
				// The key belongs inside the TLS tunnel, never to the proxy.
				p.t.Errorf("proxy saw the API key in header %s", name)
			}
		}
	}
	p.connects.Add(1)
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		p.t.Errorf("hijack: %v", err)
		return
	}
	_, _ = rw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
	_ = rw.Flush()
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(up, rw)
		up.Close()
	}()
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(conn, up)
		conn.Close()
	}()
}

// wait returns once both directions of every tunnel are closed.
func (p *connectProxy) wait() { p.wg.Wait() }

// selfSignedCert makes a throwaway certificate for host and its PEM form.
func selfSignedCert(t *testing.T, host string) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// withoutProxyEnv drops every variable that could redirect or trust
// differently than the test intends.
func withoutProxyEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUEST_METHOD", "GODEBUG":
			continue
		}
		out = append(out, kv)
	}
	return out
}
