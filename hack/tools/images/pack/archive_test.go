package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// A small image from a temp tree: a binary, a config file, a directory
// owned by the image's user, a symlink, a copied tree and a binary's libraries.
func testSpec(t *testing.T) Spec {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode) // whatever the umask
		return p
	}
	bin := write("bin/agent", "#!binary", 0o700)
	write("app/dist/main.js", "console.log(1)", 0o600)
	write("app/node_modules/x/cli.js", "#!/usr/bin/env node", 0o775)
	os.Symlink("../x/cli.js", filepath.Join(dir, "app/node_modules/.bin"))
	lib := write("lib/libc.so.6", "libc", 0o644)
	ldd = func(string) ([]string, error) { return []string{lib}, nil }
	t.Cleanup(func() { ldd = runLdd })
	raw := fmt.Sprintf(`{
		"ref": "agent-operator.local/agent:dev",
		"config": {"User": "65532:65532", "Entrypoint": ["/agent"], "Env": ["A=1"], "WorkingDir": "/", "Labels": {"l": "v"}},
		"layers": [
			{"comment": "libraries", "entries": [{"libsOf": "%[1]s/bin/agent"}]},
			{"comment": "app", "entries": [
				{"path": "/agent", "file": "%[2]s"},
				{"path": "/etc/passwd", "content": "nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"},
				{"path": "/var/lib/agent", "dir": true, "mode": "0700", "uid": 65532, "gid": 65532},
				{"path": "/lib64", "symlink": "lib"},
				{"path": "/app", "tree": "%[1]s/app"}
			]}
		]}`, dir, bin)
	s, err := ParseSpec([]byte(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type archived struct {
	files  map[string][]byte
	digest string
}

func packToMemory(t *testing.T, s Spec) (Written, archived) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image.tar")
	w, err := Pack(s, out)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return w, archived{files: untar(t, raw), digest: sha256Hex(raw)}
}

func untar(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = b
	}
}

func TestTheArchiveIsWhatDockerSaveWritesWithDiffIDsOfTheUncompressedLayers(t *testing.T) {
	w, a := packToMemory(t, testSpec(t))
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(a.files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v %s", err, a.files["manifest.json"])
	}
	m := manifest[0]
	if !reflect.DeepEqual(m.RepoTags, []string{"agent-operator.local/agent:dev"}) || len(m.Layers) != 2 {
		t.Fatalf("manifest: %+v", m)
	}
	config := a.files[m.Config]
	if "sha256:"+sha256Hex(config) != w.ID || m.Config != w.ID[len("sha256:"):]+".json" {
		t.Fatalf("the config file is not named by its digest: %s vs %s", m.Config, w.ID)
	}
	var c struct {
		Architecture, OS string
		Config           ImageConfig
		RootFS           struct {
			Type    string
			DiffIDs []string `json:"diff_ids"`
		}
	}
	if err := json.Unmarshal(config, &c); err != nil {
		t.Fatal(err)
	}
	for i, layer := range m.Layers {
		sum := sha256.Sum256(a.files[layer])
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != c.RootFS.DiffIDs[i] || got != w.DiffIDs[i] {
			t.Errorf("layer %d: sha256 %s, diff_id %s", i, got, c.RootFS.DiffIDs[i])
		}
	}
	want := ImageConfig{User: "65532:65532", Entrypoint: []string{"/agent"}, Env: []string{"A=1"}, WorkingDir: "/", Labels: map[string]string{"l": "v"}}
	if c.OS != "linux" || c.RootFS.Type != "layers" || !reflect.DeepEqual(c.Config, want) {
		t.Fatalf("config: %+v", c)
	}
}

func TestALayerHoldsEveryEntryWithItsParentsModesOwnersAndAFixedMtime(t *testing.T) {
	_, a := packToMemory(t, testSpec(t))
	var manifest []struct{ Layers []string }
	json.Unmarshal(a.files["manifest.json"], &manifest)
	type row struct {
		name     string
		typ      byte
		mode     int64
		uid, gid int
		link     string
		content  string
	}
	read := func(layer []byte) []row {
		var rows []row
		tr := tar.NewReader(bytes.NewReader(layer))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return rows
			}
			if err != nil {
				t.Fatal(err)
			}
			if !h.ModTime.Equal(epoch) || h.Uname != "" || h.Gname != "" {
				t.Errorf("%s: mtime %v, owner names %q %q", h.Name, h.ModTime, h.Uname, h.Gname)
			}
			b, _ := io.ReadAll(tr)
			rows = append(rows, row{h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Linkname, string(b)})
		}
	}
	libs := read(a.files[manifest[0].Layers[0]])
	if last := libs[len(libs)-1]; last.content != "libc" || last.mode != 0o755 {
		t.Errorf("the library is packed with its content, executable: %+v", last)
	}
	got := read(a.files[manifest[0].Layers[1]])
	want := []row{
		{"agent", tar.TypeReg, 0o755, 0, 0, "", "#!binary"},
		{"app/", tar.TypeDir, 0o755, 0, 0, "", ""},
		{"app/dist/", tar.TypeDir, 0o755, 0, 0, "", ""},
		{"app/dist/main.js", tar.TypeReg, 0o644, 0, 0, "", "console.log(1)"},
		{"app/node_modules/", tar.TypeDir, 0o755, 0, 0, "", ""},
		{"app/node_modules/.bin", tar.TypeSymlink, 0o777, 0, 0, "../x/cli.js", ""},
		{"app/node_modules/x/", tar.TypeDir, 0o755, 0, 0, "", ""},
		{"app/node_modules/x/cli.js", tar.TypeReg, 0o755, 0, 0, "", "#!/usr/bin/env node"},
		{"etc/", tar.TypeDir, 0o755, 0, 0, "", ""},
		{"etc/passwd", tar.TypeReg, 0o644, 0, 0, "", "nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"},
		{"lib64", tar.TypeSymlink, 0o777, 0, 0, "lib", ""},
		{"var/", tar.TypeDir, 0o755, 0, 0, "", ""},
		{"var/lib/", tar.TypeDir, 0o755, 0, 0, "", ""},
		{"var/lib/agent/", tar.TypeDir, 0o700, 65532, 65532, "", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%v\nwant\n%v", got, want)
	}
}

func TestTheSameInputsGiveAByteIdenticalArchive(t *testing.T) {
	s := testSpec(t)
	_, first := packToMemory(t, s)
	_, second := packToMemory(t, s)
	if first.digest != second.digest {
		t.Fatalf("two packs differ: %s vs %s", first.digest, second.digest)
	}
	s.Config.Env = []string{"A=2"}
	if _, third := packToMemory(t, s); third.digest == first.digest {
		t.Fatal("a changed config must change the archive")
	}
}

func TestAPathPutTwiceIsAnError(t *testing.T) {
	s, err := ParseSpec([]byte(`{"ref": "x.local/a:1", "layers": [{"entries": [
		{"path": "/a", "content": "1"}, {"path": "/a", "content": "2"}]}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Pack(s, filepath.Join(t.TempDir(), "a.tar")); err == nil {
		t.Fatal("want an error")
	}
}
