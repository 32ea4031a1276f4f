package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ConfigReport is what the agent tells about its rendered config file: the
// digest proves it saw exactly the bytes the operator rendered, the keys and
// scalar values show which layer won without a test re-rendering YAML.
type ConfigReport struct {
	Path   string            `json:"path"`
	SHA256 string            `json:"sha256,omitempty"`
	Keys   []string          `json:"keys"`
	Values map[string]string `json:"values"`
	Error  string            `json:"error,omitempty"`
}

func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ReportConfig digests and parses content; JSON for *.json (as the operator
// renders it), YAML otherwise. A parse problem is reported, not fatal: a test
// of bad config wants to see it.
func ReportConfig(path string, content []byte) ConfigReport {
	r := ConfigReport{Path: path, SHA256: Digest(content), Keys: []string{}, Values: map[string]string{}}
	var err error
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		err = flattenJSON(content, r.Values)
	} else {
		err = flattenYAML(string(content), r.Values)
	}
	if err != nil {
		r.Error = err.Error()
	}
	for k := range r.Values {
		r.Keys = append(r.Keys, k)
	}
	sort.Strings(r.Keys)
	return r
}

// flattenJSON maps dotted key paths to leaf values; a list is a leaf shown as JSON.
func flattenJSON(content []byte, out map[string]string) error {
	var v any
	if err := json.Unmarshal(content, &v); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("not a mapping at the top level")
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if child, ok := v.(map[string]any); ok && len(child) > 0 {
				walk(prefix+k+".", child)
				continue
			}
			if s, ok := v.(string); ok {
				out[prefix+k] = s
				continue
			}
			b, _ := json.Marshal(v)
			out[prefix+k] = string(b)
		}
	}
	walk("", m)
	return nil
}

// flattenYAML reads the block-style YAML the operator renders (the `yaml`
// package's output: nested mappings by indentation, sequences under a key,
// quoted or plain scalars) into dotted key paths. It is not a YAML parser: a
// sequence or block scalar is one leaf shown as "[...]" or "|", which is as
// far as a test needs to look, and it keeps the agent free of dependencies.
func flattenYAML(text string, out map[string]string) error {
	type level struct {
		indent int
		path   string
	}
	var stack []level
	skipDeeperThan := -1 // inside a sequence or block scalar: lines indented more belong to it
	for n, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || trimmed == "---" {
			continue
		}
		indent := len(line) - len(trimmed)
		if skipDeeperThan >= 0 {
			// a sequence may sit at its key's own indent ("key:\n- a")
			if indent > skipDeeperThan || (indent == skipDeeperThan && strings.HasPrefix(trimmed, "- ")) || (indent == skipDeeperThan && trimmed == "-") {
				continue
			}
			skipDeeperThan = -1
		}
		if strings.HasPrefix(trimmed, "- ") || trimmed == "-" {
			// a sequence under the innermost key at or above this indent: that key is a leaf
			for len(stack) > 0 && stack[len(stack)-1].indent > indent {
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 {
				return fmt.Errorf("line %d: a list at the top level, not a mapping", n+1)
			}
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			out[top.path] = "[...]"
			skipDeeperThan = top.indent
			continue
		}
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		parent := ""
		if len(stack) > 0 {
			parent = stack[len(stack)-1].path + "."
		}
		key, value, ok := splitKey(trimmed)
		if !ok {
			return fmt.Errorf("line %d: not a `key: value` line", n+1)
		}
		path := parent + key
		switch value {
		case "":
			// a nested mapping or a sequence may follow; if nothing does, it is a null leaf
			out[path] = ""
			stack = append(stack, level{indent: indent, path: path})
		case "|", "|-", ">", ">-":
			out[path] = "|"
			skipDeeperThan = indent
		default:
			out[path] = unquote(value)
		}
	}
	// a key with children is not a leaf
	for k := range out {
		for other := range out {
			if strings.HasPrefix(other, k+".") {
				delete(out, k)
				break
			}
		}
	}
	return nil
}

// splitKey splits `key: value` or `"quoted key": value`.
func splitKey(s string) (key, value string, ok bool) {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `'`) {
		end := strings.Index(s[1:], s[:1]+":")
		if end < 0 {
			return "", "", false
		}
		return unquote(s[:end+2]), strings.TrimSpace(s[end+3:]), true
	}
	i := strings.Index(s, ": ")
	if i < 0 {
		if strings.HasSuffix(s, ":") {
			return s[:len(s)-1], "", true
		}
		return "", "", false
	}
	return s[:i], strings.TrimSpace(s[i+2:]), true
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s
}

// RejectKey in the config makes the agent refuse it at start (exit 78,
// EX_CONFIG), as a real agent refuses a config it cannot use: a test makes
// a release whose only change is a bad config layer by setting it.
const RejectKey = "agent.reject"

// Rejected says whether the config asks to be refused, and why.
func Rejected(c ConfigReport) (string, bool) {
	why, ok := c.Values[RejectKey]
	return why, ok && why != "" && why != "false"
}
