package main

import (
	"fmt"
	"os/exec"
	"strings"
)

// runLdd asks the host's dynamic loader which libraries a binary loads:
// exactly those, resolved the way they will be resolved in the image (the
// image keeps the host's paths), so nothing is guessed from file names.
func runLdd(binary string) ([]string, error) {
	out, err := exec.Command("ldd", binary).CombinedOutput()
	text := string(out)
	if err != nil && !strings.Contains(text, "not a dynamic executable") {
		return nil, fmt.Errorf("ldd %s: %v: %s", binary, err, strings.TrimSpace(text))
	}
	return ParseLdd(binary, text)
}

// ParseLdd reads ldd's output: "name => /path (addr)" for a library,
// "/path (addr)" for the loader itself, no path for the kernel's vDSO, and
// "statically linked" / "not a dynamic executable" when there is nothing to
// load. A library ldd cannot find is an error: the image would not start.
func ParseLdd(binary, text string) ([]string, error) {
	var libs []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "", strings.Contains(line, "statically linked"), strings.Contains(line, "not a dynamic executable"):
			continue
		case strings.Contains(line, "=> not found"):
			return nil, fmt.Errorf("libsOf %s: ldd cannot find %s", binary, strings.Fields(line)[0])
		}
		if _, after, ok := strings.Cut(line, "=> "); ok {
			line = after
		}
		p := strings.Fields(line)[0]
		if strings.HasPrefix(p, "/") {
			libs = append(libs, p)
		}
	}
	return libs, nil
}
