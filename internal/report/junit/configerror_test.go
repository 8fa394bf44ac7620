package junit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

func TestWriteConfigErrorGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	msg := "invalid --timeout / DOCKETQA_TIMEOUT \"soon\": use a Go duration such as 30m\nunknown flag --tiemout: did you mean --timeout?"
	if err := WriteConfigError(&buf, msg); err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, filepath.Join("testdata", "config_error.golden.xml"), buf.Bytes(), *update)
	testutil.ValidateJUnit(t, buf.Bytes())
}

func TestWriteConfigError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, msg, message, body string
	}{
		{"one problem", "no API key: set DOCKETQA_API_KEY", "no API key: set DOCKETQA_API_KEY", "no API key: set DOCKETQA_API_KEY"},
		{"several problems", "a\r\n\nb\n", "a; b", "a\nb"},
		{"not XML-safe", "bad \x00value ]]> <x> & \x1b[31m", "bad value ]]> <x> & [31m", "bad value ]]> <x> & [31m"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteConfigError(&buf, tc.msg); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Errors int `xml:"errors,attr"`
				Tests  int `xml:"tests,attr"`
				Suite  []struct {
					Cases []struct {
						Name  string `xml:"name,attr"`
						Error struct {
							Message string `xml:"message,attr"`
							Type    string `xml:"type,attr"`
							Body    string `xml:",chardata"`
						} `xml:"error"`
					} `xml:"testcase"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("not XML: %v\n%s", err, buf.Bytes())
			}
			if doc.Tests != 1 || doc.Errors != 1 || len(doc.Suite) != 1 || len(doc.Suite[0].Cases) != 1 {
				t.Fatalf("want one suite with one erroring case:\n%s", buf.Bytes())
			}
			c := doc.Suite[0].Cases[0]
			if c.Name != ConfigErrorCaseName || c.Error.Type != "configuration" || c.Error.Message != tc.message || c.Error.Body != tc.body {
				t.Errorf("case %q error type %q message %q body %q; want message %q body %q",
					c.Name, c.Error.Type, c.Error.Message, c.Error.Body, tc.message, tc.body)
			}
			testutil.ValidateJUnit(t, buf.Bytes())
		})
	}
}

func TestWriteConfigErrorReportsWriteErrors(t *testing.T) {
	t.Parallel()
	if err := WriteConfigError(brokenWriter{}, "x"); err == nil || !strings.Contains(err.Error(), "configuration error") {
		t.Errorf("error %v, want one about the configuration error report", err)
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
