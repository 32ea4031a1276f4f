package main

import (
	"fmt"
	"strings"
)

// Control is the content of the control file: `ready=MODE` and `live=MODE`
// lines. It lives on a volume (the data volume by default), so a test flips a
// probe by writing a file (on the host side of a hostPath volume, or through
// POST /control) instead of rolling out a new release; and because it is a
// file, the override survives a container restart.
type Control struct {
	Ready Mode `json:"ready,omitempty"`
	Live  Mode `json:"live,omitempty"`
}

// ParseControl reads the control file; empty lines and # comments are ignored.
func ParseControl(text string) (Control, error) {
	var c Control
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, found := strings.Cut(line, "=")
		mode, ok := ParseMode(strings.TrimSpace(value))
		if !found || !ok || strings.TrimSpace(value) == "" {
			return Control{}, fmt.Errorf("line %d %q: want ready=ok|fail|hang or live=ok|fail|hang", n+1, line)
		}
		switch strings.TrimSpace(key) {
		case "ready":
			c.Ready = mode
		case "live":
			c.Live = mode
		default:
			return Control{}, fmt.Errorf("line %d %q: want ready=ok|fail|hang or live=ok|fail|hang", n+1, line)
		}
	}
	return c, nil
}

// Format is the file form of c, what POST /control writes.
func (c Control) Format() string {
	var b strings.Builder
	if c.Ready != "" {
		fmt.Fprintf(&b, "ready=%s\n", c.Ready)
	}
	if c.Live != "" {
		fmt.Fprintf(&b, "live=%s\n", c.Live)
	}
	return b.String()
}

// CountStarts is the number of start lines in the state file's content.
func CountStarts(content string) int {
	n := 0
	for _, line := range strings.Split(content, "\n") {
		if strings.HasPrefix(line, "start ") {
			n++
		}
	}
	return n
}
