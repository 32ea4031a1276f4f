// Command kstatus-runner computes an object's status with
// sigs.k8s.io/cli-utils/pkg/kstatus, the library Flux's health checks,
// `kubectl wait`-style tooling and cli-utils' appliers use, so the Agent's
// status is tested against the code that will judge it.
//
//	kstatus-runner FILE...
//
// Each FILE holds one object in YAML or JSON. The object is decoded the way
// client-go's unstructured decoder does (integers as int64, which kstatus'
// generation check requires). It prints one JSON document:
//
//	{"results": [{"file": "...", "status": "Current", "message": "..."}]}
//
// and exits 0; a usage or file error exits 2. Judging is the caller's job.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

type result struct {
	File    string `json:"file"`
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: kstatus-runner FILE...")
	}
	results := []result{}
	for _, file := range os.Args[1:] {
		raw, err := os.ReadFile(file)
		if err != nil {
			fail(err.Error())
		}
		doc, err := yaml.YAMLToJSON(raw)
		if err != nil {
			fail(file + ": " + err.Error())
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(doc); err != nil {
			fail(file + ": " + err.Error())
		}
		res, err := status.Compute(u)
		if err != nil {
			// an object kstatus cannot read is a finding, not a tool failure
			results = append(results, result{File: file, Error: err.Error()})
			continue
		}
		results = append(results, result{File: file, Status: res.Status.String(), Message: res.Message})
	}
	out, _ := json.MarshalIndent(map[string]any{"results": results}, "", "  ")
	fmt.Println(string(out))
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "kstatus-runner:", msg)
	os.Exit(2)
}
