// Command pack builds container images without Docker or a registry: it
// reads a JSON spec (specs/*.json: files, directories, symlinks, a binary's
// shared libraries, and the runtime config) and writes a `docker save`-style
// tar that `ctr -n k8s.io images import` loads into containerd. The output is
// deterministic, so an unchanged input gives a byte-identical tar.
//
//	pack -spec specs/agent.json -var AGENT=/path/to/agent -o agent.tar
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

type varsFlag map[string]string

func (v varsFlag) String() string { return "" }
func (v varsFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	v[name] = value
	return nil
}

func main() {
	vars := varsFlag{}
	spec := flag.String("spec", "", "the image spec (JSON)")
	out := flag.String("o", "", "the archive to write")
	flag.Var(vars, "var", "NAME=VALUE for ${NAME} in the spec (repeatable)")
	flag.Parse()
	if *spec == "" || *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: pack -spec SPEC.json [-var NAME=VALUE]... -o IMAGE.tar")
		os.Exit(2)
	}
	s, err := LoadSpec(*spec, vars)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pack: %s: %v\n", *spec, err)
		os.Exit(1)
	}
	w, err := Pack(s, *out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pack: %s: %v\n", s.Ref, err)
		os.Exit(1)
	}
	fmt.Printf("%s %s %s\n", w.Ref, w.ID, *out)
}
