package main

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// epoch is every member's mtime: with it (and sorted members, no user or
// group names) the same inputs always give the same bytes, so the image's
// digest changes only when its content does.
var epoch = time.Unix(0, 0).UTC()

// member is one tar member of a layer, before it is written.
type member struct {
	name     string // relative, no trailing slash
	typ      byte
	mode     int64
	uid, gid int
	linkname string
	source   string  // host file to copy
	content  *string // or literal content
}

// ldd is how LibsOf lists a binary's libraries; a variable so tests can give a fixed answer.
var ldd = runLdd

// members resolves a layer's entries into tar members, sorted by name, with
// every parent directory present (root-owned 0755 unless an entry says
// otherwise), so the runtime never has to invent one.
func members(l Layer) ([]member, error) {
	byName := map[string]member{}
	add := func(m member, from string) error {
		if prev, ok := byName[m.name]; ok && prev != m { // the very same member twice (a directory) is harmless
			return fmt.Errorf("/%s is put in the layer twice (again by %s)", m.name, from)
		}
		byName[m.name] = m
		return nil
	}
	for _, e := range l.Entries {
		if err := resolve(e, add); err != nil {
			return nil, err
		}
	}
	for name := range byName {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if _, ok := byName[dir]; !ok {
				byName[dir] = member{name: dir, typ: tar.TypeDir, mode: 0o755}
			}
		}
	}
	out := make([]member, 0, len(byName))
	for _, m := range byName {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func resolve(e Entry, add func(member, string) error) error {
	if e.LibsOf != "" {
		libs, err := ldd(e.LibsOf)
		if err != nil {
			return err
		}
		for _, lib := range libs {
			name, err := imagePath(path.Clean(lib))
			if err != nil {
				return fmt.Errorf("libsOf %s: %v", e.LibsOf, err)
			}
			if err := add(member{name: name, typ: tar.TypeReg, mode: 0o755, uid: e.UID, gid: e.GID, source: lib}, "libsOf "+e.LibsOf); err != nil {
				return err
			}
		}
		return nil
	}
	name, _ := imagePath(e.Path) // validated with the spec
	m := member{name: name, uid: e.UID, gid: e.GID}
	var err error
	switch {
	case e.Dir:
		m.typ = tar.TypeDir
		m.mode, err = e.mode(0o755)
	case e.Symlink != "":
		m.typ, m.mode, m.linkname = tar.TypeSymlink, 0o777, e.Symlink
	case e.Content != nil:
		m.typ, m.content = tar.TypeReg, e.Content
		m.mode, err = e.mode(0o644)
	case e.File != "":
		var info fs.FileInfo
		if info, err = os.Stat(e.File); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("file %s: not a regular file", e.File)
		}
		m.typ, m.source = tar.TypeReg, e.File
		m.mode, err = e.mode(defaultMode(info))
	case e.Tree != "":
		return tree(e, name, add)
	}
	if err != nil {
		return err
	}
	return add(m, e.Path)
}

// tree copies a host directory: modes are normalised (0755 for directories
// and executables, 0644 otherwise) so the host's umask does not leak into
// the image digest; symlinks stay symlinks (node_modules/.bin holds some).
func tree(e Entry, name string, add func(member, string) error) error {
	return filepath.WalkDir(e.Tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.Tree, p)
		m := member{name: path.Join(name, filepath.ToSlash(rel)), uid: e.UID, gid: e.GID}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			m.typ, m.mode = tar.TypeDir, 0o755
		case d.Type()&fs.ModeSymlink != 0:
			m.typ, m.mode = tar.TypeSymlink, 0o777
			if m.linkname, err = os.Readlink(p); err != nil {
				return err
			}
		case d.Type().IsRegular():
			m.typ, m.mode, m.source = tar.TypeReg, defaultMode(info), p
		default:
			return fmt.Errorf("tree %s: %s is neither a file, a directory nor a symlink", e.Tree, p)
		}
		return add(m, "tree "+e.Tree)
	})
}

func defaultMode(info fs.FileInfo) int64 {
	if info.Mode()&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// writeLayer writes the members as an uncompressed tar (what diff_ids digest).
func writeLayer(w io.Writer, ms []member) error {
	tw := tar.NewWriter(w)
	for _, m := range ms {
		if err := writeMember(tw, m); err != nil {
			return fmt.Errorf("/%s: %v", m.name, err)
		}
	}
	return tw.Close()
}

func writeMember(tw *tar.Writer, m member) error {
	h := &tar.Header{Name: m.name, Typeflag: m.typ, Mode: m.mode, Uid: m.uid, Gid: m.gid, Linkname: m.linkname, ModTime: epoch, Format: tar.FormatPAX}
	if m.typ == tar.TypeDir {
		h.Name += "/"
	}
	var body io.Reader
	switch {
	case m.content != nil:
		h.Size = int64(len(*m.content))
		body = strings.NewReader(*m.content)
	case m.source != "":
		f, err := os.Open(m.source)
		if err != nil {
			return err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return err
		}
		h.Size, body = info.Size(), f
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if body == nil {
		return nil
	}
	if n, err := io.Copy(tw, body); err != nil {
		return fmt.Errorf("%v (copied %d of %d bytes; did it change while packing?)", err, n, h.Size)
	}
	return nil
}
