package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Settings is everything a test can ask of the agent, read once from the
// environment. The environment is the interface because the operator renders
// a Deployment from an Agent's env: a test changes behaviour by changing the
// Agent, and every change is a new release the operator has to roll out.
type Settings struct {
	Port        int           // AGENT_PORT: HTTP port for /healthz, /readyz, /info, /control
	StartDelay  time.Duration // AGENT_START_DELAY: wait this long before listening (a slow start)
	Ready       Probe         // AGENT_READY, AGENT_READY_FAIL_AFTER
	Live        Probe         // AGENT_LIVE, AGENT_LIVE_FAIL_AFTER
	ConfigFile  string        // AGENT_CONFIG_FILE: the rendered config, digested and parsed
	SecretEnv   string        // SECRET_ENV: the name of a variable whose value is digested, never shown
	StateDir    string        // AGENT_STATE_DIR: each start appends a line to STATE_DIR/starts
	ControlFile string        // AGENT_CONTROL_FILE: probe overrides read at every probe (default STATE_DIR/control)
	AllocMiB    int           // AGENT_ALLOC_MIB: allocate and touch this much memory at start
	ExitCode    int           // AGENT_EXIT_CODE: exit with this code ...
	ExitAfter   time.Duration // AGENT_EXIT_AFTER: ... this long after start (set either to exit)
	Exit        bool
	ExitMessage string        // AGENT_EXIT_MESSAGE: printed to stderr as is just before that exit (its last words; "\n" starts a line)
	BusyThreads int           // AGENT_BUSY_THREADS: goroutines that spin for ever (CPU-bound work under a CPU limit)
	GrowMiBPerS float64       // AGENT_GROW_MIB_PER_SEC: after AGENT_ALLOC_MIB, allocate and touch this much more every second (0.5: 1 MiB every 2 s) ...
	GrowToMiB   int           // AGENT_GROW_TO_MIB: ... until this much is held in all (0: for ever)
	ConfigWatch time.Duration // AGENT_CONFIG_WATCH: poll the config file this often and reload it when its bytes change (0: read once at start; POST /reload always works)
}

// Probe is how one health endpoint answers: Mode from the start, and
// "fail" once FailAfter has passed since the start (when FailAfter > 0).
type Probe struct {
	Mode      Mode
	FailAfter time.Duration
}

type Mode string

const (
	OK   Mode = "ok"
	Fail Mode = "fail" // 503
	Hang Mode = "hang" // no answer until the prober gives up (a timeout)
)

// Defaults match the operator's defaults for spec.config and spec.storage, so
// an Agent with a config and storage needs no env to be observed.
const (
	defaultPort       = 8080
	defaultConfigFile = "/etc/agent/config.yaml"
	defaultStateDir   = "/var/lib/agent"
)

// ParseSettings reads the settings from getenv; an error names the variable
// and what it accepts, so a typo in a test fails loudly instead of running a
// healthy agent.
func ParseSettings(getenv func(string) string) (Settings, error) {
	s := Settings{ConfigFile: defaultConfigFile, StateDir: defaultStateDir}
	p := parser{getenv: getenv}
	s.Port = p.int("AGENT_PORT", defaultPort)
	s.StartDelay = p.duration("AGENT_START_DELAY")
	s.Ready = Probe{Mode: p.mode("AGENT_READY"), FailAfter: p.duration("AGENT_READY_FAIL_AFTER")}
	s.Live = Probe{Mode: p.mode("AGENT_LIVE"), FailAfter: p.duration("AGENT_LIVE_FAIL_AFTER")}
	if v := getenv("AGENT_CONFIG_FILE"); v != "" {
		s.ConfigFile = v
	}
	s.SecretEnv = getenv("SECRET_ENV")
	if v := getenv("AGENT_STATE_DIR"); v != "" {
		s.StateDir = v
	}
	s.ControlFile = s.StateDir + "/control"
	if v := getenv("AGENT_CONTROL_FILE"); v != "" {
		s.ControlFile = v
	}
	s.AllocMiB = p.int("AGENT_ALLOC_MIB", 0)
	s.ConfigWatch = p.duration("AGENT_CONFIG_WATCH")
	s.ExitCode = p.int("AGENT_EXIT_CODE", 0)
	s.ExitAfter = p.duration("AGENT_EXIT_AFTER")
	s.Exit = getenv("AGENT_EXIT_CODE") != "" || getenv("AGENT_EXIT_AFTER") != ""
	s.ExitMessage = strings.ReplaceAll(getenv("AGENT_EXIT_MESSAGE"), `\n`, "\n")
	s.BusyThreads = p.int("AGENT_BUSY_THREADS", 0)
	s.GrowMiBPerS = p.float("AGENT_GROW_MIB_PER_SEC")
	s.GrowToMiB = p.int("AGENT_GROW_TO_MIB", 0)
	if s.Port < 1 || s.Port > 65535 {
		p.fail("AGENT_PORT", "a port between 1 and 65535")
	}
	if s.AllocMiB < 0 {
		p.fail("AGENT_ALLOC_MIB", "a whole number of MiB, 0 or more")
	}
	if s.ExitCode < 0 || s.ExitCode > 255 {
		p.fail("AGENT_EXIT_CODE", "an exit code between 0 and 255")
	}
	if s.BusyThreads < 0 || s.BusyThreads > 64 {
		p.fail("AGENT_BUSY_THREADS", "a number of goroutines from 0 to 64")
	}
	if s.GrowMiBPerS < 0 || s.GrowToMiB < 0 {
		p.fail("AGENT_GROW_MIB_PER_SEC", "MiB per second and MiB, 0 or more (with AGENT_GROW_TO_MIB)")
	}
	return s, p.err
}

// parser keeps the first error, so ParseSettings reads as a list of fields.
type parser struct {
	getenv func(string) string
	err    error
}

func (p *parser) fail(name, want string) {
	if p.err == nil {
		p.err = fmt.Errorf("%s=%q: want %s", name, p.getenv(name), want)
	}
}

func (p *parser) int(name string, def int) int {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(name, "a whole number")
	}
	return n
}

func (p *parser) float(name string) float64 {
	v := p.getenv(name)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		p.fail(name, "a number such as 1 or 0.5")
	}
	return f
}

func (p *parser) duration(name string) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		p.fail(name, "a duration such as 500ms, 10s or 2m")
	}
	return d
}

func (p *parser) mode(name string) Mode {
	m, ok := ParseMode(p.getenv(name))
	if !ok {
		p.fail(name, "ok, fail or hang")
	}
	return m
}

// ParseMode accepts an empty value as OK, so an unset variable means healthy.
func ParseMode(v string) (Mode, bool) {
	switch Mode(v) {
	case "", OK:
		return OK, true
	case Fail, Hang:
		return Mode(v), true
	}
	return OK, false
}

// Answer is what a probe endpoint does now: the control file's mode when it
// sets one (a test flips it without a new release), else the configured mode,
// turned to Fail once FailAfter has passed.
func (p Probe) Answer(sinceStart time.Duration, control Mode) Mode {
	if control != "" {
		return control
	}
	if p.FailAfter > 0 && sinceStart >= p.FailAfter {
		return Fail
	}
	return p.Mode
}
