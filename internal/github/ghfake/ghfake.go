// Package ghfake is a stand-in for the GitHub REST API's issue-comment
// endpoints, for tests on httptest (loopback): it keeps comments per
// issue, authors them as the token's identity, pages its listings with
// Link headers, and can answer with the failures a real job meets (a
// read-only token, rate limits, redirects, links to another host).
package ghfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Comment is a stored comment.
type Comment struct {
	ID     int64
	Issue  int
	Author string
	Body   string
}

// Server is the stand-in. Set its fields before serving; read them
// through the methods while it serves.
type Server struct {
	// Token is the one accepted bearer token.
	Token string
	// Login is the identity GET /user answers for a token that may read
	// it; a token starting with ghs_ (a workflow's) gets 403 there and
	// writes as github-actions[bot].
	Login string
	// PerPage caps a listing page; 0 means 30, GitHub's default.
	PerPage int
	// Fail answers "METHOD kind" (kind: user, list, create, update) with
	// this status and, for 403/429 with RateLimited, the rate-limit headers.
	Fail        map[string]int
	RateLimited bool
	// NextLink, when set, replaces the Link header's next page target.
	NextLink string
	// Redirect, when set, answers every request with a 302 to it.
	Redirect string

	mu       sync.Mutex
	comments []Comment
	nextID   int64
	requests []string
}

// Add stores a comment as if author had written it, and returns its id.
func (s *Server) Add(issue int, author, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.comments = append(s.comments, Comment{ID: s.nextID, Issue: issue, Author: author, Body: body})
	return s.nextID
}

// Comments returns the comments of issue, oldest first.
func (s *Server) Comments(issue int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.Issue == issue {
			out = append(out, c)
		}
	}
	return out
}

// Requests returns every request as "METHOD path?query".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Count returns how many requests of method were served.
func (s *Server) Count(method string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r, method+" ") {
			n++
		}
	}
	return n
}

var (
	listPath   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/([0-9]+)/comments$`) })
	updatePath = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/comments/([0-9]+)$`) })
)

func (s *Server) author() string {
	if strings.HasPrefix(s.Token, "ghs_") {
		return "github-actions[bot]"
	}
	return s.Login
}

// ServeHTTP answers the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
	s.mu.Unlock()
	if s.Redirect != "" {
		http.Redirect(w, r, s.Redirect, http.StatusFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		fail(w, http.StatusUnauthorized, "Bad credentials", false)
		return
	}
	kind := ""
	var m []string
	switch {
	case r.URL.Path == "/user" && r.Method == http.MethodGet:
		kind = "user"
	case r.Method == http.MethodGet:
		if m = listPath().FindStringSubmatch(r.URL.Path); m != nil {
			kind = "list"
		}
	case r.Method == http.MethodPost:
		if m = listPath().FindStringSubmatch(r.URL.Path); m != nil {
			kind = "create"
		}
	case r.Method == http.MethodPatch:
		if m = updatePath().FindStringSubmatch(r.URL.Path); m != nil {
			kind = "update"
		}
	}
	if kind == "" {
		fail(w, http.StatusNotFound, "Not Found", false)
		return
	}
	if code := s.Fail[r.Method+" "+kind]; code != 0 {
		fail(w, code, "Resource not accessible by integration", s.RateLimited)
		return
	}
	switch kind {
	case "user":
		if strings.HasPrefix(s.Token, "ghs_") {
			fail(w, http.StatusForbidden, "Resource not accessible by integration", false)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"login": s.Login})
	case "list":
		s.list(w, r, m)
	case "create":
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		issue, _ := strconv.Atoi(m[3])
		id := s.Add(issue, s.author(), body)
		writeJSON(w, http.StatusCreated, commentJSON(Comment{ID: id, Author: s.author(), Body: body}))
	case "update":
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		id, _ := strconv.ParseInt(m[3], 10, 64)
		s.mu.Lock()
		defer s.mu.Unlock()
		for i := range s.comments {
			if s.comments[i].ID == id {
				// GitHub lets only the author edit (or an admin).
				if s.comments[i].Author != s.author() {
					fail(w, http.StatusForbidden, "Must have admin rights to Repository.", false)
					return
				}
				s.comments[i].Body = body
				writeJSON(w, http.StatusOK, commentJSON(s.comments[i]))
				return
			}
		}
		fail(w, http.StatusNotFound, "Not Found", false)
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, m []string) {
	issue, _ := strconv.Atoi(m[3])
	all := s.Comments(issue)
	per := s.PerPage
	if per == 0 {
		per = 30
	}
	if p, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil && p > 0 && p < per {
		per = p
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	from := min((page-1)*per, len(all))
	to := min(from+per, len(all))
	if to < len(all) {
		next := fmt.Sprintf("http://%s%s?per_page=%d&page=%d", r.Host, r.URL.Path, per, page+1)
		if s.NextLink != "" {
			next = s.NextLink
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <http://%s%s?page=1>; rel="first"`, next, r.Host, r.URL.Path))
	}
	out := make([]map[string]any, 0, to-from)
	for _, c := range all[from:to] {
		out = append(out, commentJSON(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func commentJSON(c Comment) map[string]any {
	return map[string]any{"id": c.ID, "body": c.Body, "user": map[string]any{"login": c.Author, "type": "Bot"}, "node_id": "x"}
}

func readBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Body string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == "" {
		fail(w, http.StatusUnprocessableEntity, "Validation Failed", false)
		return "", false
	}
	if len([]rune(in.Body)) > 65536 {
		fail(w, http.StatusUnprocessableEntity, "Body is too long (maximum is 65536 characters)", false)
		return "", false
	}
	return in.Body, true
}

func fail(w http.ResponseWriter, code int, msg string, rateLimited bool) {
	if rateLimited {
		w.Header().Set("X-RateLimit-Remaining", "0")
		msg = "API rate limit exceeded"
	}
	writeJSON(w, code, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
