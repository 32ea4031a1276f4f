package main

import (
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestAnUnsetEnvironmentIsAHealthyAgentWithTheOperatorsDefaultPaths(t *testing.T) {
	s, err := ParseSettings(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Port: 8080, Ready: Probe{Mode: OK}, Live: Probe{Mode: OK}, ConfigFile: "/etc/agent/config.yaml", StateDir: "/var/lib/agent", ControlFile: "/var/lib/agent/control"}
	if s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
}

func TestEveryKnobIsReadFromItsVariable(t *testing.T) {
	s, err := ParseSettings(env(map[string]string{
		"AGENT_PORT": "9000", "AGENT_START_DELAY": "3s", "AGENT_READY": "hang", "AGENT_READY_FAIL_AFTER": "1m",
		"AGENT_LIVE": "fail", "AGENT_CONFIG_FILE": "/c/config.json", "SECRET_ENV": "TOKEN", "AGENT_STATE_DIR": "/data",
		"AGENT_ALLOC_MIB": "200", "AGENT_EXIT_CODE": "3", "AGENT_EXIT_AFTER": "500ms",
		"AGENT_EXIT_MESSAGE": `token x\nerror: no such host`, "AGENT_BUSY_THREADS": "2", "AGENT_GROW_MIB_PER_SEC": "0.5", "AGENT_GROW_TO_MIB": "190",
		"AGENT_CONFIG_WATCH": "100ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Port: 9000, StartDelay: 3 * time.Second, Ready: Probe{Mode: Hang, FailAfter: time.Minute}, Live: Probe{Mode: Fail},
		ConfigFile: "/c/config.json", SecretEnv: "TOKEN", StateDir: "/data", ControlFile: "/data/control",
		AllocMiB: 200, ExitCode: 3, ExitAfter: 500 * time.Millisecond, Exit: true,
		ExitMessage: "token x\nerror: no such host", BusyThreads: 2, GrowMiBPerS: 0.5, GrowToMiB: 190, ConfigWatch: 100 * time.Millisecond}
	if s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
}

func TestAnExitCodeAloneExitsAtOnceAndADelayAloneExitsZero(t *testing.T) {
	for _, tc := range []struct {
		vars  map[string]string
		code  int
		after time.Duration
	}{
		{map[string]string{"AGENT_EXIT_CODE": "1"}, 1, 0},
		{map[string]string{"AGENT_EXIT_AFTER": "2s"}, 0, 2 * time.Second},
	} {
		s, err := ParseSettings(env(tc.vars))
		if err != nil || !s.Exit || s.ExitCode != tc.code || s.ExitAfter != tc.after {
			t.Errorf("%v: got %+v, %v", tc.vars, s, err)
		}
	}
}

func TestABadValueIsAnErrorNamingTheVariableAndWhatItAccepts(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"AGENT_PORT", "http", "AGENT_PORT=\"http\": want a whole number"},
		{"AGENT_PORT", "70000", "want a port between 1 and 65535"},
		{"AGENT_READY", "sometimes", "AGENT_READY=\"sometimes\": want ok, fail or hang"},
		{"AGENT_LIVE_FAIL_AFTER", "10", "want a duration such as 500ms"},
		{"AGENT_EXIT_CODE", "300", "want an exit code between 0 and 255"},
		{"AGENT_ALLOC_MIB", "-1", "AGENT_ALLOC_MIB"},
		{"AGENT_BUSY_THREADS", "100", "want a number of goroutines from 0 to 64"},
		{"AGENT_GROW_MIB_PER_SEC", "-2", "AGENT_GROW_MIB_PER_SEC"},
	} {
		_, err := ParseSettings(env(map[string]string{tc.name: tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%s: got %v, want an error containing %q", tc.name, tc.value, err, tc.want)
		}
	}
}

func TestAProbeAnswersItsModeThenFailsAfterItsDelayUnlessTheControlFileSaysOtherwise(t *testing.T) {
	p := Probe{Mode: OK, FailAfter: 10 * time.Second}
	for _, tc := range []struct {
		since   time.Duration
		control Mode
		want    Mode
	}{
		{0, "", OK},
		{9 * time.Second, "", OK},
		{10 * time.Second, "", Fail},
		{time.Hour, OK, OK},
		{0, Hang, Hang},
	} {
		if got := p.Answer(tc.since, tc.control); got != tc.want {
			t.Errorf("since %v, control %q: got %q, want %q", tc.since, tc.control, got, tc.want)
		}
	}
	if got := (Probe{Mode: Hang}).Answer(time.Hour, ""); got != Hang {
		t.Errorf("a hanging probe without a delay keeps hanging, got %q", got)
	}
}
