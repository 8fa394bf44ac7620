package config

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
)

// fakeKey is obviously not a real credential.
const fakeKey = "dqa_FAKE_test_key_0123456789"

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := Secret(fakeKey)
	cfg := Config{APIKey: s, BaseURL: "https://api.docketqa.com"}

	cases := []struct {
		name string
		got  func() (string, error)
		want string // exact output, when the form is fixed
	}{
		{"%v", func() (string, error) { return fmt.Sprintf("%v", s), nil }, "[redacted]"},
		{"%s", func() (string, error) { return fmt.Sprintf("%s", s), nil }, "[redacted]"},
		{"%+v", func() (string, error) { return fmt.Sprintf("%+v", s), nil }, "[redacted]"},
		{"%#v", func() (string, error) { return fmt.Sprintf("%#v", s), nil }, "[redacted]"},
		{"%q", func() (string, error) { return fmt.Sprintf("%q", s), nil }, `"[redacted]"`},
		{"%x", func() (string, error) { return fmt.Sprintf("%x", s), nil }, "[redacted]"},
		{"%10s", func() (string, error) { return fmt.Sprintf("%10s", s), nil }, "[redacted]"},
		{"String", func() (string, error) { return s.String(), nil }, "[redacted]"},
		{"GoString", func() (string, error) { return s.GoString(), nil }, "[redacted]"},
		{"Sprint", func() (string, error) { return fmt.Sprint(s), nil }, "[redacted]"},
		{"config %v", func() (string, error) { return fmt.Sprintf("%v", cfg), nil }, ""},
		{"config %+v", func() (string, error) { return fmt.Sprintf("%+v", cfg), nil }, ""},
		{"config %#v", func() (string, error) { return fmt.Sprintf("%#v", cfg), nil }, ""},
		{"pointer %+v", func() (string, error) { return fmt.Sprintf("%+v", &cfg), nil }, ""},
		{"json secret", func() (string, error) { b, err := json.Marshal(s); return string(b), err }, `"[redacted]"`},
		{"json config", func() (string, error) { b, err := json.Marshal(cfg); return string(b), err }, ""},
		{"text", func() (string, error) { b, err := s.MarshalText(); return string(b), err }, "[redacted]"},
		{"xml", func() (string, error) {
			type doc struct{ Key Secret }
			b, err := xml.Marshal(doc{s})
			return string(b), err
		}, "<doc><Key>[redacted]</Key></doc>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.got()
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if strings.Contains(got, fakeKey) {
				t.Fatalf("output leaks the key: %s", got)
			}
			if !strings.Contains(got, "[redacted]") {
				t.Errorf("output %q does not say [redacted]", got)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSecretReveal(t *testing.T) {
	t.Parallel()
	if got := Secret(fakeKey).Reveal(); got != fakeKey {
		t.Errorf("Reveal() = %q, want the original value", got)
	}
}
