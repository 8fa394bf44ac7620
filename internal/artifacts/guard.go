package artifacts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// errRefused marks a URL, redirect or address the downloader will not use.
// Its messages say why, never echoing a query string.
var errRefused = errors.New("refused")

// refusef returns an error wrapping errRefused.
func refusef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errRefused}, args...)...)
}

// guard decides which media URLs and addresses may be used. The URLs come
// from the API, which the gate does not trust, so a hostile or broken
// answer must not turn the gate into a probe of the CI runner's network.
type guard struct {
	// loopback allows loopback hosts (and plain http to them); only when the
	// API itself is on loopback, as with the simulator and tests.
	loopback bool
}

// checkURL refuses a URL before any request: only https (http only to a
// loopback host when loopback is allowed), no user:password@, and an IP
// literal must be a public address. Names are checked again on the address
// actually dialled.
func (g guard) checkURL(u *url.URL) error {
	host := u.Hostname()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return refusef("scheme %q is not https", u.Scheme)
	case u.User != nil:
		return refusef("the URL carries credentials")
	case host == "":
		return refusef("the URL has no host")
	case u.Scheme == "http" && !(g.loopback && isLoopbackName(host)):
		return refusef("plain http is allowed only for loopback media while the API is on loopback")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return g.checkAddr(ip)
	}
	if isLoopbackName(host) && !g.loopback {
		return refusef("loopback host %q while the API is not on loopback", host)
	}
	return nil
}

// checkRedirect is http.Client.CheckRedirect. It drops the Referer header
// net/http adds on a redirect; every hop is checked like the
// first URL and may not change the scheme (so no https-to-http downgrade,
// and no file:// or other scheme at all). The address check happens again
// on the dial of the new hop.
func (g guard) checkRedirect(req *http.Request, via []*http.Request) error {
	// net/http has just set Referer to the previous URL, query included:
	// a pre-signed link's signature would go to the redirect target.
	req.Header.Del("Referer")
	if len(via) >= maxRedirects {
		return refusef("more than %d redirects", maxRedirects)
	}
	if req.URL.Scheme != via[0].URL.Scheme {
		return refusef("redirect from %s to %s", via[0].URL.Scheme, req.URL.Scheme)
	}
	if err := g.checkURL(req.URL); err != nil {
		return fmt.Errorf("redirect to %s: %w", redactURL(req.URL), err)
	}
	return nil
}

// maxRedirects is how many redirects one download may follow; storage
// services use one or two.
const maxRedirects = 5

// checkAddr refuses addresses that are not on the public internet: private
// (RFC 1918, fc00::/7), link-local (169.254.0.0/16 holds the cloud metadata
// service), multicast, unspecified, carrier-grade NAT and loopback unless
// allowed.
func (g guard) checkAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		if g.loopback {
			return nil
		}
		return refusef("loopback address %s while the API is not on loopback", ip)
	case ip.IsUnspecified():
		return refusef("unspecified address %s", ip)
	case ip.IsMulticast():
		return refusef("multicast address %s", ip)
	case ip.IsLinkLocalUnicast():
		return refusef("link-local address %s", ip)
	case ip.IsPrivate():
		return refusef("private address %s", ip)
	case cgnat.Contains(ip) || thisNetwork.Contains(ip):
		return refusef("non-public address %s", ip)
	case !ip.IsGlobalUnicast():
		return refusef("non-public address %s", ip)
	}
	return nil
}

var (
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
)

// control is net.Dialer.Control: it runs after DNS, on the very address
// about to be connected to, for the first URL and every redirect, so a name
// that resolves (or re-resolves) to a private address is caught.
func (g guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refusef("unparsable address %q", address)
	}
	return g.checkAddr(ap.Addr())
}

// resolver looks names up; *net.Resolver implements it, tests fake it.
type resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// proxied wraps a proxy function. Through a proxy the gate dials only the
// proxy, so the dial-time check cannot see the media host: the target name
// is resolved here and every address it has must pass, before the request
// is sent. (The proxy resolves it again itself; a name that changes its
// answer in between is beyond what a client can check.) Dials to the proxy
// itself are allowed: the operator configured it.
func (g guard) proxied(proxy func(*http.Request) (*url.URL, error), res resolver, proxies *proxySet) func(*http.Request) (*url.URL, error) {
	return func(req *http.Request) (*url.URL, error) {
		pu, err := proxy(req)
		if err != nil || pu == nil {
			return pu, err
		}
		host := req.URL.Hostname()
		if ip, err := netip.ParseAddr(host); err == nil {
			if err := g.checkAddr(ip); err != nil {
				return nil, err
			}
		} else {
			ctx, cancel := context.WithTimeout(req.Context(), 10*time.Second)
			addrs, err := res.LookupNetIP(ctx, "ip", host)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("resolve %s before using the proxy: %w", host, err)
			}
			if len(addrs) == 0 {
				return nil, fmt.Errorf("resolve %s before using the proxy: no addresses", host)
			}
			for _, a := range addrs {
				if err := g.checkAddr(a); err != nil {
					return nil, err
				}
			}
		}
		proxies.add(canonicalHostPort(pu))
		return pu, nil
	}
}

// canonicalHostPort is u's host:port with the scheme's default port filled in.
func canonicalHostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// isLoopbackName reports whether host is localhost or a loopback literal.
func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// redactURL is u without credentials, query or fragment: what may appear
// in index.json, reports and logs. Pre-signed URLs carry their signature
// in the query.
func redactURL(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return c.String()
}

// redactRaw is redactURL for text that may not even parse.
func redactRaw(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			raw = raw[:i]
		}
		if i := strings.Index(raw, "@"); i >= 0 {
			raw = raw[i+1:]
		}
		return raw
	}
	return redactURL(u)
}
