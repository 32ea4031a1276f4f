package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestLddOutputGivesTheLibrariesAndTheLoaderButNotTheVDSO(t *testing.T) {
	out := `	linux-vdso.so.1 (0x00007ffd8a1f2000)
	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f0d2c600000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0d2c41e000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f0d2c947000)
`
	libs, err := ParseLdd("node", out)
	want := []string{"/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}
	if err != nil || !reflect.DeepEqual(libs, want) {
		t.Fatalf("got %v, %v", libs, err)
	}
}

func TestAStaticBinaryNeedsNoLibraries(t *testing.T) {
	for _, out := range []string{"\tstatically linked\n", "\tnot a dynamic executable\n"} {
		if libs, err := ParseLdd("agent", out); err != nil || len(libs) != 0 {
			t.Errorf("%q: got %v, %v", out, libs, err)
		}
	}
}

func TestALibraryLddCannotFindIsAnError(t *testing.T) {
	_, err := ParseLdd("app", "\tlibmissing.so.1 => not found\n")
	if err == nil || !strings.Contains(err.Error(), "ldd cannot find libmissing.so.1") {
		t.Fatalf("got %v", err)
	}
}
