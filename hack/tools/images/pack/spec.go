package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Spec is one image: its reference, the runtime config (the fields of the
// image config's "config" object, named as Docker names them, so a spec reads
// like `docker inspect`), and its layers, bottom first.
type Spec struct {
	Comment string      `json:"comment,omitempty"`
	Ref     string      `json:"ref"`
	Config  ImageConfig `json:"config"`
	Layers  []Layer     `json:"layers"`
}

type ImageConfig struct {
	User         string              `json:"User,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
}

type Layer struct {
	Comment string  `json:"comment,omitempty"`
	Entries []Entry `json:"entries"`
}

// Entry puts one thing at Path; exactly one of the source fields is set.
type Entry struct {
	Path    string  `json:"path,omitempty"`
	File    string  `json:"file,omitempty"`    // a host file (symlinks followed)
	Content *string `json:"content,omitempty"` // literal text
	Dir     bool    `json:"dir,omitempty"`
	Symlink string  `json:"symlink,omitempty"` // the link target
	Tree    string  `json:"tree,omitempty"`    // a host directory, copied recursively
	// LibsOf is a host binary: the shared libraries `ldd` lists for it are put
	// at the paths it lists them (Path is not used). The dynamic loader finds
	// them where they are on the host, because the image mirrors those paths.
	LibsOf string `json:"libsOf,omitempty"`
	Mode   string `json:"mode,omitempty"` // octal, e.g. "0755"; default 0644 (0755 for directories and executables)
	UID    int    `json:"uid,omitempty"`
	GID    int    `json:"gid,omitempty"`
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// LoadSpec reads a spec with ${NAME} replaced by vars[NAME] everywhere. An
// unknown name is an error rather than an empty string, which would put a
// file at a wrong path or an empty label in the image without a word.
func LoadSpec(file string, vars map[string]string) (Spec, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return Spec{}, err
	}
	return ParseSpec(raw, vars)
}

func ParseSpec(raw []byte, vars map[string]string) (Spec, error) {
	var missing []string
	expanded := varRef.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(varRef.FindSubmatch(m)[1])
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		quoted, _ := json.Marshal(v) // escaped as JSON string content
		return quoted[1 : len(quoted)-1]
	})
	if len(missing) > 0 {
		return Spec{}, fmt.Errorf("the spec uses ${%s}: give it with -var %s=VALUE", missing[0], missing[0])
	}
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(expanded))
	dec.DisallowUnknownFields() // a misspelt field would silently drop a file or a setting
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("the spec is not valid: %v", err)
	}
	return s, s.validate()
}

func (s Spec) validate() error {
	if !strings.Contains(s.Ref, ":") || strings.ContainsAny(s.Ref, " \t") {
		return fmt.Errorf("ref %q: want NAME:TAG, e.g. agent-operator.local/agent:dev", s.Ref)
	}
	if len(s.Layers) == 0 {
		return fmt.Errorf("layers: an image needs at least one")
	}
	for i, l := range s.Layers {
		for j, e := range l.Entries {
			if err := e.validate(); err != nil {
				return fmt.Errorf("layers[%d].entries[%d]: %v", i, j, err)
			}
		}
	}
	return nil
}

func (e Entry) validate() error {
	sources := 0
	for _, set := range []bool{e.File != "", e.Content != nil, e.Dir, e.Symlink != "", e.Tree != "", e.LibsOf != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return fmt.Errorf("set exactly one of file, content, dir, symlink, tree, libsOf")
	}
	if e.LibsOf == "" {
		if _, err := imagePath(e.Path); err != nil {
			return err
		}
	}
	if _, err := e.mode(0); err != nil {
		return err
	}
	return nil
}

// imagePath is p as a tar member name: absolute in the spec, relative in the
// tar (as `docker save` writes it), clean, never escaping the root.
func imagePath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") || p == "/" {
		return "", fmt.Errorf("path %q: want an absolute path below /", p)
	}
	clean := path.Clean(p)
	if clean != p {
		return "", fmt.Errorf("path %q: write it as %q", p, clean)
	}
	return clean[1:], nil
}

// mode is the entry's octal mode, or def when none is given.
func (e Entry) mode(def int64) (int64, error) {
	if e.Mode == "" {
		return def, nil
	}
	m, err := strconv.ParseInt(e.Mode, 8, 64)
	if err != nil || m < 0 || m > 0o7777 {
		return 0, fmt.Errorf("mode %q: want octal permissions such as \"0755\"", e.Mode)
	}
	return m, nil
}
