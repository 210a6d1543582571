// Package shared finds the project's read-only shared material (the LaMa
// oracle, the aerial imagery) for tests: the directory named by
// $AEROFILL_SHARED, or a "shared" directory beside the repository.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared directory. When it cannot be found the test is
// skipped, except under CI (CI=true), where missing data is a failure.
func Dir(t testing.TB) string {
	t.Helper()
	if d, ok := find(); ok {
		return d
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("shared data not found: set AEROFILL_SHARED or put shared/ beside the repository")
	}
	t.Skip("shared data not found (set AEROFILL_SHARED)")
	return ""
}

// Path joins elems under the shared directory (see Dir).
func Path(t testing.TB, elems ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elems...)...)
}

func find() (string, bool) {
	if d := os.Getenv("AEROFILL_SHARED"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, true
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	// Walk up from the package directory to the module root's parent.
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			cand := filepath.Join(filepath.Dir(d), "shared")
			if st, err := os.Stat(filepath.Join(cand, "oracle")); err == nil && st.IsDir() {
				return cand, true
			}
			return "", false
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}
