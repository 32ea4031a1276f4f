package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func reloadingAgent(t *testing.T, content string) (*agent, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	a := &agent{settings: Settings{ConfigFile: file, StateDir: dir, ControlFile: filepath.Join(dir, "control")}, started: time.Now(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a.info = a.gather()
	return a, file
}

func post(t *testing.T, a *agent, path string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	a.routes().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
	return rec.Code
}

func TestPostReloadLoadsTheNewFileAndCountsTheLoad(t *testing.T) {
	a, file := reloadingAgent(t, "level: info\n")
	os.WriteFile(file, []byte("level: debug\n"), 0o644)
	if code := post(t, a, "/reload"); code != http.StatusOK {
		t.Fatalf("POST /reload: %d", code)
	}
	if a.info.Config.Values["level"] != "debug" || a.info.ConfigLoads != 2 || a.info.Config.SHA256 != Digest([]byte("level: debug\n")) {
		t.Fatalf("after reload: %+v loads %d", a.info.Config, a.info.ConfigLoads)
	}
	if post(t, a, "/reload"); a.info.ConfigLoads != 2 {
		t.Fatalf("the same bytes again are not a new load: %d", a.info.ConfigLoads)
	}
}

func TestARejectedConfigLeavesTheRunningOneInForceAndAnswers400(t *testing.T) {
	a, file := reloadingAgent(t, "level: info\n")
	os.WriteFile(file, []byte("agent:\n  reject: bad output\n"), 0o644)
	if code := post(t, a, "/reload"); code != http.StatusBadRequest {
		t.Fatalf("POST /reload of a rejected config: %d", code)
	}
	if a.info.Config.Values["level"] != "info" || a.info.ConfigLoads != 1 {
		t.Fatalf("the old config must stay: %+v", a.info.Config)
	}
}

func TestTheWatchLoadsAChangedFile(t *testing.T) {
	a, file := reloadingAgent(t, "level: info\n")
	go a.watchConfig(5 * time.Millisecond)
	os.WriteFile(file, []byte("level: warn\n"), 0o644)
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		v := a.info.Config.Values["level"]
		a.mu.Unlock()
		if v == "warn" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the watch did not load the changed file")
}

func TestCheckExits78WithTheReasonForAConfigTheAgentWouldRefuse(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("level: info\n"), 0o644)
	os.WriteFile(bad, []byte("agent:\n  reject: no such output\n"), 0o644)
	var out strings.Builder
	if code := check(good, &out); code != 0 {
		t.Fatalf("good config: exit %d (%s)", code, out.String())
	}
	if code := check(bad, &out); code != 78 || !strings.Contains(out.String(), "config rejected: no such output") {
		t.Fatalf("bad config: exit %d (%q)", code, out.String())
	}
	if code := check(filepath.Join(dir, "missing"), &out); code != 66 {
		t.Fatalf("missing file: exit %d", code)
	}
}
