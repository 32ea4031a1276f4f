// Command lua-runner executes an Argo CD resource health check the way Argo CD
// does, so the check is tested by the interpreter that will run it: gopher-lua
// (Lua 5.1), a global `obj` built from the object as Argo CD builds it, a
// 1 s timeout, and the result validated against Argo CD's health statuses.
//
//	lua-runner DIR
//
// DIR holds health.lua and health_test.yaml in Argo CD's
// resource_customizations layout:
//
//	tests:
//	  - healthStatus: {status: Healthy, message: "..."}
//	    inputPath: testdata/healthy.yaml
//
// Every case runs twice: as a script from argocd-cm (only the base, table and
// package libraries: no string library) and as a built-in script (all
// standard libraries). It prints one JSON document with both results per case
// and exits 0; a usage or file error exits 2. Judging is the caller's job.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

type healthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

type testFile struct {
	Tests []struct {
		InputPath    string       `json:"inputPath"`
		HealthStatus healthStatus `json:"healthStatus"`
	} `json:"tests"`
}

type result struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

type caseReport struct {
	InputPath string            `json:"inputPath"`
	Expected  healthStatus      `json:"expected"`
	Results   map[string]result `json:"results"`
}

// Argo CD accepts exactly these; anything else becomes Unknown.
var validStatuses = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true,
	"Suspended": true, "Missing": true, "Unknown": true,
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: lua-runner DIR (with health.lua and health_test.yaml)")
	}
	dir := os.Args[1]
	script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
	if err != nil {
		fail(err.Error())
	}
	raw, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
	if err != nil {
		fail(err.Error())
	}
	var tests testFile
	if err := yaml.Unmarshal(raw, &tests); err != nil {
		fail("health_test.yaml: " + err.Error())
	}
	reports := []caseReport{}
	for _, tc := range tests.Tests {
		input, err := os.ReadFile(filepath.Join(dir, tc.InputPath))
		if err != nil {
			fail(err.Error())
		}
		// sigs.k8s.io/yaml goes through JSON, as Argo CD's own tests do, so
		// numbers arrive as float64 and every key is a string.
		obj := map[string]any{}
		if err := yaml.Unmarshal(input, &obj); err != nil {
			fail(tc.InputPath + ": " + err.Error())
		}
		reports = append(reports, caseReport{
			InputPath: tc.InputPath,
			Expected:  tc.HealthStatus,
			Results: map[string]result{
				"argocd-cm": run(string(script), obj, false),
				"built-in":  run(string(script), obj, true),
			},
		})
	}
	out, _ := json.MarshalIndent(map[string]any{"cases": reports}, "", "  ")
	fmt.Println(string(out))
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "lua-runner:", msg)
	os.Exit(2)
}

func run(script string, obj map[string]any, openLibs bool) result {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer l.Close()
	if !openLibs {
		// What Argo CD loads for argocd-cm scripts (plus a reduced os library
		// that this check does not use).
		for _, lib := range []struct {
			name string
			open lua.LGFunction
		}{
			{lua.LoadLibName, lua.OpenPackage},
			{lua.BaseLibName, lua.OpenBase},
			{lua.TabLibName, lua.OpenTable},
		} {
			if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
				return result{Error: err.Error()}
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return result{Error: err.Error()}
	}
	ret := l.Get(-1)
	table, ok := ret.(*lua.LTable)
	if !ok {
		return result{Error: "expect table output from Lua script, not " + ret.Type().String()}
	}
	res := result{}
	if s, ok := table.RawGetString("status").(lua.LString); ok {
		res.Status = string(s)
	}
	switch m := table.RawGetString("message").(type) {
	case lua.LString:
		res.Message = string(m)
	case lua.LNumber:
		res.Message = m.String()
	}
	if !validStatuses[res.Status] {
		return result{Status: "Unknown", Message: "Lua returned an invalid health status"}
	}
	return res
}

// toLua converts a decoded object the way Argo CD's decodeValue does: maps
// and lists become tables, numbers LNumber, null nil.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}
