package sim

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"sync"
)

// dashboardPage stands in for app.docketqa.com/dashboard/grouprun/{id}, so a
// dashboard link printed by a client pointed at the simulator leads somewhere.
// It is parsed on first use, not at start-up: the simulator is linked into
// the gate for --demo, and every other run of the gate would otherwise pay
// for parsing a template it never shows.
var dashboardPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("grouprun").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Name}} – simulated DocketQA</title></head>
<body>
<p>Simulated DocketQA API: this page only exists in the simulator.</p>
<h1>Group run {{.ID}}: {{.Name}}</h1>
<table>
<tr><th>Test run</th><th>Blueprint</th><th>Status</th></tr>
{{- range .Runs}}
<tr><td>{{.ID}}</td><td>{{.Title}} ({{.BlueprintID}})</td><td>{{.Status}}</td></tr>
{{- end}}
</table>
</body>
</html>
`))
})

type dashboardRun struct {
	ID, BlueprintID int64
	Title, Status   string
}

// serveDashboard renders the group run page. It needs no API key, like the
// web app page a person opens from a CI summary.
func (s *Server) serveDashboard(w http.ResponseWriter, rt route) {
	id, err := strconv.ParseInt(rt.param, 10, 64)
	now := s.now()
	s.mu.Lock()
	g := s.groups[id]
	s.mu.Unlock()
	if err != nil || g == nil {
		http.Error(w, "group run not found", http.StatusNotFound)
		return
	}
	data := struct {
		ID   int64
		Name string
		Runs []dashboardRun
	}{ID: g.id, Name: g.name, Runs: make([]dashboardRun, 0, len(g.runs))}
	for _, rn := range g.runs { // immutable after the trigger, so no lock
		st, _ := rn.status(now)
		if st == "" {
			st = "(no status)"
		}
		data.Runs = append(data.Runs, dashboardRun{ID: rn.id, BlueprintID: rn.sc.ID, Title: rn.sc.Title, Status: st})
	}
	var buf bytes.Buffer
	if err := dashboardPage().Execute(&buf, data); err != nil {
		http.Error(w, "render dashboard: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}
