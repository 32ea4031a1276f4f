package main

import (
	"strings"
	"testing"
)

func TestVariablesAreSubstitutedAsJSONStringContent(t *testing.T) {
	s, err := ParseSpec([]byte(`{"ref": "x.local/a:${TAG}", "config": {"Labels": {"v": "${V}"}},
		"layers": [{"entries": [{"path": "/a", "file": "${BIN}"}]}]}`),
		map[string]string{"TAG": "dev", "V": `say "hi"\now`, "BIN": "/tmp/a"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Ref != "x.local/a:dev" || s.Config.Labels["v"] != `say "hi"\now` || s.Layers[0].Entries[0].File != "/tmp/a" {
		t.Fatalf("got %+v", s)
	}
}

func TestASpecMistakeIsAnErrorNamingTheFieldAndTheFix(t *testing.T) {
	layer := func(entry string) string {
		return `{"ref": "x.local/a:1", "layers": [{"entries": [` + entry + `]}]}`
	}
	for _, tc := range []struct{ spec, want string }{
		{`{"ref": "x.local/a:${TAG}", "layers": []}`, "give it with -var TAG=VALUE"},
		{`{"ref": "x.local/a", "layers": [{"entries": []}]}`, "want NAME:TAG"},
		{`{"ref": "x.local/a:1", "layers": []}`, "at least one"},
		{`{"ref": "x.local/a:1", "layer": []}`, `unknown field "layer"`},
		{layer(`{"path": "/a"}`), "layers[0].entries[0]: set exactly one of"},
		{layer(`{"path": "/a", "dir": true, "file": "/b"}`), "set exactly one of"},
		{layer(`{"path": "a", "dir": true}`), `path "a": want an absolute path`},
		{layer(`{"path": "/a/../b", "dir": true}`), `write it as "/b"`},
		{layer(`{"path": "/a", "dir": true, "mode": "rwx"}`), `mode "rwx": want octal`},
	} {
		_, err := ParseSpec([]byte(tc.spec), map[string]string{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.spec, err, tc.want)
		}
	}
}
