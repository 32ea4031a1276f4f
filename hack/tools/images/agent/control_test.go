package main

import "testing"

func TestTheControlFileSetsEitherProbeAndRoundTrips(t *testing.T) {
	c, err := ParseControl("# flipped by the test\nready=fail\n\n live = hang \n")
	if err != nil {
		t.Fatal(err)
	}
	if c != (Control{Ready: Fail, Live: Hang}) {
		t.Fatalf("got %+v", c)
	}
	again, err := ParseControl(c.Format())
	if err != nil || again != c {
		t.Fatalf("round trip: got %+v, %v", again, err)
	}
	if empty, err := ParseControl(""); err != nil || empty != (Control{}) {
		t.Fatalf("an empty file overrides nothing: got %+v, %v", empty, err)
	}
}

func TestABadControlLineIsAnErrorQuotingIt(t *testing.T) {
	for _, text := range []string{"ready", "ready=", "ready=maybe", "startup=fail"} {
		if _, err := ParseControl(text); err == nil {
			t.Errorf("%q: want an error", text)
		}
	}
}

func TestTheStartCountIsTheNumberOfStartLines(t *testing.T) {
	if n := CountStarts("start 2026-11-30T17:00:00Z pid 1 host a\nstart 2026-11-30T17:01:00Z pid 1 host b\n"); n != 2 {
		t.Fatalf("got %d", n)
	}
	if n := CountStarts(""); n != 0 {
		t.Fatalf("got %d", n)
	}
}
