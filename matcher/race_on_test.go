//go:build race

package matcher

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// pooled calls allocate now and then.
const raceEnabled = true
