// Command agent is the test agent of the real-node e2e suite: a small static
// program whose every failure mode (slow start, failing or hanging probes,
// memory hunger, exit codes) is chosen by its environment (settings.go), and
// which tells what it saw (config digest and keys, a Secret digest, its start
// count on the data volume) on GET /info and in its log, so a test checks the
// operator's work from outside the container.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// Info is the body of GET /info and of the "info" log line at start.
type Info struct {
	Version      string        `json:"version"`
	Hostname     string        `json:"hostname"`
	PID          int           `json:"pid"`
	UID          int           `json:"uid"`
	GID          int           `json:"gid"`
	StartedAt    time.Time     `json:"startedAt"`
	Starts       int           `json:"starts"`
	StateFile    string        `json:"stateFile"`
	StateError   string        `json:"stateError,omitempty"`
	Config       ConfigReport  `json:"config"`
	ConfigLoads  int           `json:"configLoads"`
	ConfigAt     time.Time     `json:"configLoadedAt"`
	Secret       *SecretReport `json:"secret,omitempty"`
	AllocatedMiB int           `json:"allocatedMiB"`
	Ready        Mode          `json:"ready"`
	Live         Mode          `json:"live"`
	ControlError string        `json:"controlError,omitempty"`
}

// SecretReport never holds the value: only whether it is set and its sha256,
// which a test compares with the digest of the value it put in the Secret.
type SecretReport struct {
	Env    string `json:"env"`
	Set    bool   `json:"set"`
	SHA256 string `json:"sha256,omitempty"`
}

type agent struct {
	settings Settings
	started  time.Time
	log      *slog.Logger

	mu        sync.Mutex
	info      Info
	lastReady Mode
	lastLive  Mode
}

// ballast keeps the allocated memory reachable, so the GC cannot give it back
// and the kernel sees the whole allocation as resident.
var ballast [][]byte

func main() {
	if len(os.Args) == 3 && os.Args[1] == "check" {
		os.Exit(check(os.Args[2], os.Stderr))
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	s, err := ParseSettings(os.Getenv)
	if err != nil {
		log.Error("bad settings", "error", err.Error())
		os.Exit(2)
	}
	a := &agent{settings: s, started: time.Now(), log: log}

	// A clean exit on SIGTERM: the kubelet's stop is not a failure.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := <-signals
		log.Info("stopping", "signal", sig.String())
		os.Exit(0)
	}()

	a.info = a.gather()
	a.answers() // the probes' first answers, in the info line too
	log.Info("info", "info", a.info)
	if why, refused := Rejected(a.info.Config); refused {
		log.Error("config rejected", "file", s.ConfigFile, "sha256", a.info.Config.SHA256, "why", why)
		os.Exit(78)
	}
	if s.ConfigWatch > 0 {
		go a.watchConfig(s.ConfigWatch)
	}
	if s.Exit {
		time.AfterFunc(s.ExitAfter, func() {
			log.Info("exiting", "code", s.ExitCode, "after", s.ExitAfter.String())
			if s.ExitMessage != "" {
				fmt.Fprintln(os.Stderr, s.ExitMessage)
			}
			os.Exit(s.ExitCode)
		})
	}
	if s.AllocMiB > 0 {
		log.Info("allocating", "MiB", s.AllocMiB)
		allocate(s.AllocMiB)
		a.mu.Lock()
		a.info.AllocatedMiB = s.AllocMiB
		a.mu.Unlock()
		log.Info("allocated", "MiB", s.AllocMiB)
	}
	for i := 0; i < s.BusyThreads; i++ {
		go spin()
	}
	if s.GrowMiBPerS > 0 {
		go grow(log, s.AllocMiB, s.GrowMiBPerS, s.GrowToMiB)
	}
	if s.StartDelay > 0 {
		log.Info("starting slowly", "delay", s.StartDelay.String())
		time.Sleep(s.StartDelay)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", s.Port))
	if err != nil {
		log.Error("cannot listen", "port", s.Port, "error", err.Error())
		os.Exit(3)
	}
	log.Info("listening", "port", s.Port)
	log.Error("server stopped", "error", http.Serve(ln, a.routes()).Error())
	os.Exit(4)
}

// gather records this start on the data volume and reads what the operator
// gave the process: the config file and the Secret-sourced variable.
func (a *agent) gather() Info {
	s := a.settings
	host, _ := os.Hostname()
	info := Info{
		Version: version, Hostname: host, PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid(),
		StartedAt: a.started.UTC(), StateFile: filepath.Join(s.StateDir, "starts"),
	}
	starts, err := recordStart(info.StateFile, fmt.Sprintf("start %s pid %d host %s\n", info.StartedAt.Format(time.RFC3339Nano), info.PID, host))
	info.Starts = starts
	if err != nil {
		info.StateError = err.Error()
	}
	content, err := os.ReadFile(s.ConfigFile)
	switch {
	case err == nil:
		info.Config = ReportConfig(s.ConfigFile, content)
	default:
		info.Config = ConfigReport{Path: s.ConfigFile, Keys: []string{}, Values: map[string]string{}, Error: err.Error()}
	}
	info.ConfigLoads, info.ConfigAt = 1, time.Now().UTC()
	if s.SecretEnv != "" {
		value, set := os.LookupEnv(s.SecretEnv)
		info.Secret = &SecretReport{Env: s.SecretEnv, Set: set}
		if set {
			info.Secret.SHA256 = Digest([]byte(value))
		}
	}
	return info
}

// recordStart appends line to the state file and returns how many starts it holds.
func recordStart(path, line string) (int, error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, err
	}
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	content, err := os.ReadFile(path)
	return CountStarts(string(content)), err
}

// allocate touches every page, so the memory is resident (and counted
// against the cgroup limit) rather than only reserved.
func allocate(mib int) {
	for range mib {
		chunk := make([]byte, 1<<20)
		for i := 0; i < len(chunk); i += 4096 {
			chunk[i] = 1
		}
		ballast = append(ballast, chunk)
	}
}

func (a *agent) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { a.probe(w, r, "liveness") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { a.probe(w, r, "readiness") })
	mux.HandleFunc("GET /info", func(w http.ResponseWriter, r *http.Request) {
		a.answers() // refresh ready/live
		a.mu.Lock()
		body, _ := json.MarshalIndent(a.info, "", "  ")
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(append(body, '\n'))
	})
	mux.HandleFunc("GET /control", func(w http.ResponseWriter, r *http.Request) {
		c, _ := a.control()
		io.WriteString(w, c.Format())
	})
	mux.HandleFunc("POST /control", a.writeControl)
	mux.HandleFunc("POST /reload", a.reload)
	return mux
}

// probe answers as the settings and the control file say; a "hang" holds the
// request until the prober gives up, which is what a kubelet timeout looks like.
func (a *agent) probe(w http.ResponseWriter, r *http.Request, which string) {
	ready, live := a.answers()
	mode := live
	if which == "readiness" {
		mode = ready
	}
	switch mode {
	case Fail:
		http.Error(w, which+" failing (as configured)", http.StatusServiceUnavailable)
	case Hang:
		<-r.Context().Done()
	default:
		io.WriteString(w, "ok\n")
	}
}

// answers is what each probe says now; a change is logged once, so the log
// shows when a probe turned without a line per probe.
func (a *agent) answers() (ready, live Mode) {
	c, err := a.control()
	since := time.Since(a.started)
	ready = a.settings.Ready.Answer(since, c.Ready)
	live = a.settings.Live.Answer(since, c.Live)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.info.Ready, a.info.Live, a.info.ControlError = ready, live, ""
	if err != nil {
		a.info.ControlError = err.Error()
	}
	if ready != a.lastReady {
		a.log.Info("readiness", "answer", ready)
		a.lastReady = ready
	}
	if live != a.lastLive {
		a.log.Info("liveness", "answer", live)
		a.lastLive = live
	}
	return ready, live
}

// control reads the control file; a missing file means no override, a bad
// one is reported on /info and ignored (the configured modes apply).
func (a *agent) control() (Control, error) {
	b, err := os.ReadFile(a.settings.ControlFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Control{}, nil
	}
	if err != nil {
		return Control{}, err
	}
	return ParseControl(string(b))
}

// writeControl replaces the control file with the request body (the file
// format), atomically, so a probe never reads half a file.
func (a *agent) writeControl(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c, err := ParseControl(string(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tmp := a.settings.ControlFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(c.Format()), 0o644); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := os.Rename(tmp, a.settings.ControlFile); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	a.log.Info("control written", "ready", c.Ready, "live", c.Live)
	w.WriteHeader(http.StatusNoContent)
}

// spin burns CPU for ever: under a CPU limit the kernel throttles it in
// nearly every CFS period.
func spin() {
	for n := uint64(0); ; n++ {
		if n == ^uint64(0) {
			runtime.Gosched()
		}
	}
}

// grow allocates and touches perSecond MiB more every second (in whole
// MiB, as they add up) until the agent holds toMiB (0: for ever): a leak
// slow enough to be seen coming.
func grow(log *slog.Logger, held int, perSecond float64, toMiB int) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	owed := 0.0
	for range tick.C {
		owed += perSecond
		step := int(owed)
		if toMiB > 0 && held+step > toMiB {
			step = toMiB - held
		}
		if toMiB > 0 && held >= toMiB {
			log.Info("grown", "MiB", held)
			return
		}
		if step > 0 {
			allocate(step)
			held += step
			owed -= float64(step)
		}
	}
}

// loadConfig reads the config file again and, unless it asks to be refused
// (RejectKey), makes it the one in force, as an agent's hot reload does: a
// config it rejects leaves the running one in place. changed is false when
// the bytes are those already loaded.
func (a *agent) loadConfig() (report ConfigReport, changed bool, err error) {
	content, err := os.ReadFile(a.settings.ConfigFile)
	if err != nil {
		return ConfigReport{}, false, err
	}
	report = ReportConfig(a.settings.ConfigFile, content)
	if why, refused := Rejected(report); refused {
		return report, false, fmt.Errorf("config rejected: %s", why)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if report.SHA256 == a.info.Config.SHA256 {
		return report, false, nil
	}
	a.info.Config, a.info.ConfigLoads, a.info.ConfigAt = report, a.info.ConfigLoads+1, time.Now().UTC()
	return report, true, nil
}

// watchConfig polls the file (the kubelet swaps a ConfigMap volume's files
// atomically, through a symlink, so a read never sees half a file).
func (a *agent) watchConfig(every time.Duration) {
	last := ""
	for range time.Tick(every) {
		report, changed, err := a.loadConfig()
		switch {
		case err != nil && report.SHA256 != last:
			a.log.Error("config reload refused", "sha256", report.SHA256, "error", err.Error())
		case changed:
			a.log.Info("config reloaded", "sha256", report.SHA256, "by", "watch")
		}
		last = report.SHA256
	}
}

// reload is the HTTP reload endpoint (as fluent-bit's /api/v2/reload or
// Prometheus' /-/reload): 200 with the config in force, 400 when the file
// is refused (the old config stays), 500 when it cannot be read.
func (a *agent) reload(w http.ResponseWriter, r *http.Request) {
	report, changed, err := a.loadConfig()
	if err != nil {
		status := http.StatusInternalServerError
		if report.SHA256 != "" {
			status = http.StatusBadRequest
		}
		a.log.Error("config reload refused", "sha256", report.SHA256, "error", err.Error(), "by", "http")
		http.Error(w, err.Error(), status)
		return
	}
	if changed {
		a.log.Info("config reloaded", "sha256", report.SHA256, "by", "http")
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(report)
}

// check is `agent check FILE`, the agent's own validator (as `fluent-bit
// --dry-run`): exit 0 for a config it would load, 78 (EX_CONFIG) with the
// reason on stderr for one it would refuse, 66 (EX_NOINPUT) when unreadable.
// spec.config.validate runs it in an init container.
func check(file string, stderr io.Writer) int {
	content, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "cannot read %s: %v\n", file, err)
		return 66
	}
	report := ReportConfig(file, content)
	if report.Error != "" {
		fmt.Fprintf(stderr, "%s: %s\n", file, report.Error)
		return 78
	}
	if why, refused := Rejected(report); refused {
		fmt.Fprintf(stderr, "config rejected: %s\n", why)
		return 78
	}
	return 0
}
