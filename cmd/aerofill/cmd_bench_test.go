package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestBenchTrain(t *testing.T) {
	code, stdout, stderr := runCLI("bench", "--train", "--config", "ngf=8,down=2,blocks=1", "--size", "32", "--batch", "2", "--runs", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if last := lines[len(lines)-1]; !regexp.MustCompile(`^train_step_ms_median=[0-9]+\.[0-9]$`).MatchString(last) {
		t.Errorf("last line %q, want train_step_ms_median=<ms>", last)
	}
	if !strings.Contains(stdout, "peak memory:") || !strings.Contains(stdout, "masked MSE, backward, Adam") {
		t.Errorf("report lacks the step or peak memory:\n%s", stdout)
	}
	if code, _, stderr := runCLI("bench", "--train", "--config", "ngf=8,down=2,blocks=1", "--size", "30"); code != 2 || !strings.Contains(stderr, "multiple of 4") {
		t.Errorf("--size 30: exit %d, %q; want usage error naming the multiple", code, stderr)
	}
}
