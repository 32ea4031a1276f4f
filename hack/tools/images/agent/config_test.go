package main

import (
	"reflect"
	"strings"
	"testing"
)

// What the operator's renderer (the `yaml` package, YAML 1.1 quoting) writes.
const renderedYAML = `logLevel: debug
outputs:
  elastic:
    host: es.example
    port: 9200
  "weird key": 'it''s'
inputs:
  - name: syslog
    port: 514
  - journald
empty:
banner: |
  hello
  world
enabled: "yes"
`

func TestRenderedYAMLIsReportedAsDottedKeysWithTheirScalarValues(t *testing.T) {
	r := ReportConfig("/etc/agent/config.yaml", []byte(renderedYAML))
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	want := map[string]string{
		"logLevel": "debug", "outputs.elastic.host": "es.example", "outputs.elastic.port": "9200",
		"outputs.weird key": "it's", "inputs": "[...]", "empty": "", "banner": "|", "enabled": "yes",
	}
	if !reflect.DeepEqual(r.Values, want) {
		t.Fatalf("got %v, want %v", r.Values, want)
	}
	if !reflect.DeepEqual(r.Keys, []string{"banner", "empty", "enabled", "inputs", "logLevel", "outputs.elastic.host", "outputs.elastic.port", "outputs.weird key"}) {
		t.Fatalf("keys: %v", r.Keys)
	}
}

func TestASequenceAtItsKeysOwnIndentEndsAtTheNextKey(t *testing.T) {
	r := ReportConfig("c.yaml", []byte("list:\n- a\n- b: 1\n  c: 2\nafter: x\n"))
	if !reflect.DeepEqual(r.Values, map[string]string{"list": "[...]", "after": "x"}) {
		t.Fatalf("got %v (%s)", r.Values, r.Error)
	}
}

func TestRenderedJSONIsReportedTheSameWay(t *testing.T) {
	r := ReportConfig("/etc/agent/config.json", []byte(`{"logLevel":"debug","outputs":{"port":9200,"tags":["a"]},"off":false,"none":{}}`))
	want := map[string]string{"logLevel": "debug", "outputs.port": "9200", "outputs.tags": `["a"]`, "off": "false", "none": "{}"}
	if r.Error != "" || !reflect.DeepEqual(r.Values, want) {
		t.Fatalf("got %v (%s), want %v", r.Values, r.Error, want)
	}
}

func TestTheDigestIsTheSHA256OfTheExactBytes(t *testing.T) {
	r := ReportConfig("c.yaml", []byte("a: 1\n"))
	// printf 'a: 1\n' | sha256sum
	if r.SHA256 != "37b128c59f1f5097f73f82691cb519f1f568667faab5ced1b4ab979d36837eae" {
		t.Fatalf("got %q", r.SHA256)
	}
}

func TestContentThatIsNotAMappingIsReportedNotFatal(t *testing.T) {
	for path, content := range map[string]string{"c.yaml": "- a\n- b\n", "c.json": "[1]", "d.yaml": "just words\n"} {
		r := ReportConfig(path, []byte(content))
		if r.Error == "" || len(r.SHA256) != 64 {
			t.Errorf("%s: want an error and a digest, got %+v", path, r)
		}
	}
	if r := ReportConfig("c.yaml", []byte("a: 1\n")); strings.Contains(r.Error, "line") {
		t.Errorf("a valid file has no error: %q", r.Error)
	}
}

func TestAConfigWithAgentRejectIsRefusedAndOneWithoutIsNot(t *testing.T) {
	bad := ReportConfig("/etc/agent/config.yaml", []byte("agent:\n  reject: unknown output plugin\nlevel: info\n"))
	if why, refused := Rejected(bad); !refused || why != "unknown output plugin" {
		t.Fatalf("bad config: refused %v, why %q", refused, why)
	}
	for _, text := range []string{"level: info\n", "agent:\n  reject: false\n"} {
		if _, refused := Rejected(ReportConfig("/etc/agent/config.yaml", []byte(text))); refused {
			t.Fatalf("%q refused", text)
		}
	}
}
