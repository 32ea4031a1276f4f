package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// Written is what Pack made: the image ID (the config's digest, what
// `ctr images ls` and the kubelet show) and the layers' diff IDs.
type Written struct {
	Ref     string
	ID      string
	DiffIDs []string
}

// Pack writes the image as a `docker save` archive: manifest.json, the
// config JSON, and each layer as an uncompressed tar at <diffid>/layer.tar.
// `ctr images import` and `docker load` both read this form. The archive is
// written next to out and renamed into place, so a reader never sees half.
func Pack(s Spec, out string) (Written, error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".pack-*")
	if err != nil {
		return Written{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w, err := writeArchive(tmp, s, filepath.Dir(out))
	if err != nil {
		return Written{}, err
	}
	if err := tmp.Close(); err != nil {
		return Written{}, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp's 0600 would keep importers other than the owner out
		return Written{}, err
	}
	return w, os.Rename(tmp.Name(), out)
}

func writeArchive(w io.Writer, s Spec, scratch string) (Written, error) {
	tw := tar.NewWriter(w)
	written := Written{Ref: s.Ref}
	var layerFiles []string
	history := []map[string]any{}
	for i, l := range s.Layers {
		diffID, err := addLayer(tw, l, scratch)
		if err != nil {
			return Written{}, fmt.Errorf("layers[%d]: %v", i, err)
		}
		written.DiffIDs = append(written.DiffIDs, "sha256:"+diffID)
		layerFiles = append(layerFiles, diffID+"/layer.tar")
		history = append(history, map[string]any{"created": epoch, "created_by": "pack: " + l.Comment})
	}
	config, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      epoch,
		"config":       s.Config,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": written.DiffIDs},
		"history":      history,
	})
	if err != nil {
		return Written{}, err
	}
	configID := sha256Hex(config)
	written.ID = "sha256:" + configID
	manifest, err := json.Marshal([]map[string]any{{"Config": configID + ".json", "RepoTags": []string{s.Ref}, "Layers": layerFiles}})
	if err != nil {
		return Written{}, err
	}
	if err := addFile(tw, configID+".json", config); err != nil {
		return Written{}, err
	}
	if err := addFile(tw, "manifest.json", manifest); err != nil {
		return Written{}, err
	}
	return written, tw.Close()
}

// addLayer writes the layer to a scratch file first: its digest and size
// must be known before its tar header can be written.
func addLayer(tw *tar.Writer, l Layer, scratch string) (string, error) {
	ms, err := members(l)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(scratch, ".layer-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	if err := writeLayer(io.MultiWriter(f, h), ms); err != nil {
		return "", err
	}
	diffID := hex.EncodeToString(h.Sum(nil))
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if err := tw.WriteHeader(&tar.Header{Name: diffID + "/layer.tar", Typeflag: tar.TypeReg, Mode: 0o644, Size: size, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
		return "", err
	}
	_, err = io.Copy(tw, f)
	return diffID, err
}

func addFile(tw *tar.Writer, name string, b []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
