// Package models holds the generators aerofill ships inside its binary:
// the default aerial model (default.safetensors, float16; its training,
// data and measured accuracy are in MODEL_CARD.md). It only stores and
// parses them; package restore runs them.
package models

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/modelio"
)

//go:embed default.safetensors
var defaultFile []byte

// DefaultName is what users call the embedded default model.
const DefaultName = "default"

var parseDefault = sync.OnceValues(func() (*lama.Weights, error) {
	f, err := modelio.ReadSafetensors(bytes.NewReader(defaultFile), int64(len(defaultFile)))
	if err != nil {
		return nil, fmt.Errorf("models: embedded default model: %w", err)
	}
	w, err := lama.WeightsFromFile(f)
	if err != nil {
		return nil, fmt.Errorf("models: embedded default model: %w", err)
	}
	return w, nil
})

// Default returns the weights of the embedded default model, parsed once.
// Callers must not modify them (lama.New copies what it folds).
func Default() (*lama.Weights, error) { return parseDefault() }

// DefaultSize is the embedded default model's size in bytes.
func DefaultSize() int { return len(defaultFile) }
