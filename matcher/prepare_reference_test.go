package matcher

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/whorlafis/whorl/minutiae"
	"github.com/whorlafis/whorl/minutiae/fmr"
)

// TestPrepareMatchesReference proves that Prepare builds exactly what
// referencePrepare (below, the plain implementation it replaced) builds:
// the same points, neighbour edges, edge table and lookups, in the same
// order, floats equal to the bit. Every comparison score therefore stays
// bit-identical. It covers every FVC2002 ISO template (skipped with a
// message where the data is absent) and a few hundred synthetic templates,
// degenerate ones included.
func TestPrepareMatchesReference(t *testing.T) {
	t.Run("synthetic", func(t *testing.T) {
		for name, tpl := range syntheticCases() {
			requireSamePrepared(t, name, referencePrepare(tpl), Prepare(tpl))
			// A marked latent is prepared alike, marked.
			tpl.Impression = minutiae.LatentTracing
			requireSamePrepared(t, name+" marked", referencePrepare(tpl), Prepare(tpl))
		}
	})
	t.Run("FVC2002", func(t *testing.T) {
		checked := 0
		for _, set := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
			paths, err := filepath.Glob(filepath.Join(dataDir, set, "iso_templates", "*.iso"))
			require.NoError(t, err)
			for _, path := range paths {
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				rec, err := fmr.Decode(data)
				require.NoError(t, err, path)
				tpl, err := rec.Template(0)
				require.NoError(t, err, path)
				requireSamePrepared(t, path, referencePrepare(tpl), Prepare(tpl))
				checked++
			}
		}
		if checked == 0 {
			t.Skipf("reference data absent (%s/DB?_B/iso_templates): skipping", dataDir)
		}
		t.Logf("%d templates identical", checked)
	})
}

// TestPrepareScoresMatchReference compares a few templates both ways, as a
// check of the check: equal structures must give equal scores and pairs.
func TestPrepareScoresMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for range 20 {
		a := syntheticTemplate(rng, 20+rng.IntN(40))
		b := distorted(rng, a)
		want := Compare(referencePrepare(a), referencePrepare(b))
		got := Compare(Prepare(a), Prepare(b))
		require.Equal(t, math.Float64bits(want.Score), math.Float64bits(got.Score))
		require.Equal(t, want.Pairs, got.Pairs)
	}
}

// syntheticCases returns the synthetic templates TestPrepareMatchesReference
// checks, by name.
func syntheticCases() map[string]minutiae.Template {
	cases := map[string]minutiae.Template{}
	add := func(name string, ms ...minutiae.Minutia) {
		cases[name] = minutiae.Template{Width: 2000, Height: 2000, Minutiae: ms}
	}
	add("empty")
	add("one", minutiae.Minutia{X: 10, Y: 10, Direction: 1})
	add("two", minutiae.Minutia{X: 10, Y: 10, Direction: 1}, minutiae.Minutia{X: 40, Y: 30, Direction: 2})
	add("two far apart", minutiae.Minutia{X: 10, Y: 10, Direction: 1}, minutiae.Minutia{X: 400, Y: 30, Direction: 2})
	add("three at one point", minutiae.Minutia{X: 10, Y: 10}, minutiae.Minutia{X: 10, Y: 10}, minutiae.Minutia{X: 10, Y: 10})
	add("odd values", // as in TestOddValuesDoNotPanic
		minutiae.Minutia{X: float32(math.NaN()), Y: 10, Direction: 1},
		minutiae.Minutia{X: float32(math.Inf(1)), Y: float32(math.Inf(-1)), Direction: float32(math.NaN())},
		minutiae.Minutia{X: -50, Y: -50, Direction: -7},
		minutiae.Minutia{X: 1e30, Y: 1e30, Direction: 100},
		minutiae.Minutia{X: 10, Y: 10, Direction: 0},
		minutiae.Minutia{X: 12, Y: 30, Direction: 6.2831},
		minutiae.Minutia{X: 40, Y: 20, Direction: 3},
	)
	// A grid: many equal distances (ties in the nearest-neighbour order)
	// and, with directions in twelfths of a turn, edge angles right on
	// the table's cell boundaries. 15 × 17 = 255 minutiae.
	var grid []minutiae.Minutia
	for y := range 17 {
		for x := range 15 {
			grid = append(grid, minutiae.Minutia{X: float32(20 + 12*x), Y: float32(20 + 12*y), Direction: float32((x+y)%12) * (2 * math.Pi / 12), Kind: minutiae.KindEnding})
		}
	}
	add("grid of 255", grid...)
	add("grid of 255 and more", append(slices.Clone(grid), grid[:50]...)...) // duplicates, truncated to 255

	rng := rand.New(rand.NewPCG(21, 22))
	// Random prints of every size, the sizes of real prints most often.
	for i := range 300 {
		n := i % 80
		if i%10 == 9 {
			n = 80 + rng.IntN(176)
		}
		tpl := syntheticTemplate(rng, n)
		name := fmt.Sprintf("synthetic %d (%d minutiae)", i, n)
		if i%7 == 3 && n > 1 {
			// Duplicates: some minutiae again at the same point, some
			// with another direction.
			for k := range n / 4 {
				m := tpl.Minutiae[rng.IntN(n)]
				if k%2 == 1 {
					m.Direction = minutiae.NormalizeAngle(float64(m.Direction) + 1)
				}
				tpl.Minutiae = append(tpl.Minutiae, m)
			}
			name += " with duplicates"
		}
		cases[name] = tpl
	}
	// Dense (every minutia has all its neighbours, many edges filed in
	// three length cells) and sparse (few neighbours, short lists).
	for i := range 40 {
		dense, sparse := minutiae.Template{}, minutiae.Template{}
		for range 255 {
			dense.Minutiae = append(dense.Minutiae, minutiae.Minutia{X: 100 * rng.Float32(), Y: 100 * rng.Float32(), Direction: 7 * rng.Float32()})
			sparse.Minutiae = append(sparse.Minutiae, minutiae.Minutia{X: 3000 * rng.Float32(), Y: 3000 * rng.Float32(), Direction: 7 * rng.Float32()})
		}
		cases[fmt.Sprintf("dense %d", i)] = dense
		cases[fmt.Sprintf("sparse %d", i)] = sparse
	}
	return cases
}

// requireSamePrepared fails unless want and got are the same structure,
// floats compared bit by bit (NaNs included), nil and empty slices alike.
func requireSamePrepared(t *testing.T, name string, want, got *Prepared) {
	t.Helper()
	var diffs []string
	check := func(field string, i int, w, g any) {
		if w != g && len(diffs) < 10 {
			diffs = append(diffs, fmt.Sprintf("%s[%d]: want %+v, got %+v", field, i, w, g))
		}
	}
	checkLen := func(field string, w, g int) {
		if w != g {
			diffs = append(diffs, fmt.Sprintf("len(%s): want %d, got %d", field, w, g))
		}
	}
	type pointBits struct {
		x, y, dir uint32
		dir16     uint16
		kind      minutiae.Kind
	}
	bitsOf := func(p point) pointBits {
		return pointBits{math.Float32bits(p.x), math.Float32bits(p.y), math.Float32bits(p.dir), p.dir16, p.kind}
	}
	type edgeBits struct {
		length, tol uint32
		e           edge // the rest, floats zeroed
	}
	edgeBitsOf := func(e edge) edgeBits {
		b := edgeBits{math.Float32bits(e.length), math.Float32bits(e.tol), e}
		b.e.length, b.e.tol = 0, 0
		return b
	}
	checkLen("points", len(want.points), len(got.points))
	for i := range min(len(want.points), len(got.points)) {
		check("points", i, bitsOf(want.points[i]), bitsOf(got.points[i]))
	}
	checkLen("nbrStart", len(want.nbrStart), len(got.nbrStart))
	for i := range min(len(want.nbrStart), len(got.nbrStart)) {
		check("nbrStart", i, want.nbrStart[i], got.nbrStart[i])
	}
	checkLen("neighbors", len(want.neighbors), len(got.neighbors))
	for i := range min(len(want.neighbors), len(got.neighbors)) {
		check("neighbors", i, edgeBitsOf(want.neighbors[i]), edgeBitsOf(got.neighbors[i]))
	}
	checkLen("cellStart", len(want.cellStart), len(got.cellStart))
	for i := range min(len(want.cellStart), len(got.cellStart)) {
		check("cellStart", i, want.cellStart[i], got.cellStart[i])
	}
	checkLen("rootEdges", len(want.rootEdges), len(got.rootEdges))
	for i := range min(len(want.rootEdges), len(got.rootEdges)) {
		check("rootEdges", i, want.rootEdges[i], got.rootEdges[i])
	}
	checkLen("lookups", len(want.lookups), len(got.lookups))
	for i := range min(len(want.lookups), len(got.lookups)) {
		check("lookups", i, want.lookups[i], got.lookups[i])
	}
	if want.latent != got.latent {
		diffs = append(diffs, fmt.Sprintf("latent: want %v, got %v", want.latent, got.latent))
	}
	if want.marked != got.marked {
		diffs = append(diffs, fmt.Sprintf("marked: want %v, got %v", want.marked, got.marked))
	}
	if len(diffs) > 0 {
		t.Fatalf("%s: Prepare differs from referencePrepare:\n%s", name, strings.Join(diffs, "\n"))
	}
	// The check above must see every field: fail here when Prepared gains
	// one, so that it is added.
	if n := reflect.TypeFor[Prepared]().NumField(); n != 8 {
		t.Fatalf("Prepared has %d fields; requireSamePrepared compares 8", n)
	}
}

// TestArenaTypesHoldNoPointers guards the one allocation behind Prepared's
// slices (see arena in prepare.go): the garbage collector does not look
// inside it, so no element type may hold a pointer.
func TestArenaTypesHoldNoPointers(t *testing.T) {
	var pointerFree func(reflect.Type) bool
	pointerFree = func(t reflect.Type) bool {
		switch t.Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			return true
		case reflect.Array:
			return pointerFree(t.Elem())
		case reflect.Struct:
			for f := range t.Fields() {
				if !pointerFree(f.Type) {
					return false
				}
			}
			return true
		}
		return false
	}
	for f := range reflect.TypeFor[Prepared]().Fields() {
		if f.Type.Kind() == reflect.Bool {
			continue // a flag, not a slice of the arena
		}
		require.Equal(t, reflect.Slice, f.Type.Kind(), f.Name)
		require.True(t, pointerFree(f.Type.Elem()), "Prepared.%s: %s holds a pointer", f.Name, f.Type.Elem())
	}
}

// BenchmarkPrepareReference is BenchmarkPrepare on referencePrepare, for
// comparison.
func BenchmarkPrepareReference(b *testing.B) {
	var ts []minutiae.Template
	if _, err := os.Stat(dataDir); err == nil {
		for f := 101; f <= 110; f++ {
			ts = append(ts, loadISO(b, "DB1_B", fmt.Sprintf("%d_1", f)))
		}
	} else {
		rng := rand.New(rand.NewPCG(17, 18))
		for range 10 {
			ts = append(ts, syntheticTemplate(rng, 40))
		}
	}
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		referencePrepare(ts[k%len(ts)])
		k++
	}
}

// referencePrepare is Prepare as it was before it was optimised (simple
// appends, slices.SortFunc on every cell). It is kept only to prove that
// the optimised Prepare builds exactly the same structure, so that every
// comparison score stays bit-identical (TestPrepareMatchesReference).
// Do not optimise it.
func referencePrepare(t minutiae.Template) *Prepared {
	ms := t.Minutiae
	if len(ms) > minutiae.MaxMinutiae {
		ms = ms[:minutiae.MaxMinutiae]
	}
	p := &Prepared{points: make([]point, len(ms)), latent: t.Impression.IsLatent(), marked: t.Impression == minutiae.LatentTracing}
	for i, m := range ms {
		dir := minutiae.NormalizeAngle(float64(m.Direction))
		p.points[i] = point{x: m.X, y: m.Y, dir: dir, dir16: toFixed(float64(dir)), kind: m.Kind}
	}
	refPrepareNeighbors(p)
	refPrepareRootEdges(p)
	return p
}

func refMakeEdge(p *Prepared, i, j int) edge {
	a, b := p.points[i], p.points[j]
	dx, dy := float64(b.x-a.x), float64(b.y-a.y)
	phi := math.Atan2(-dy, dx)
	length := float32(math.Hypot(dx, dy))
	return edge{
		length:   length,
		tol:      lengthTol(length),
		refAngle: toFixed(phi - float64(a.dir)),
		nbrAngle: toFixed(phi - float64(b.dir)),
		from:     uint8(i),
		to:       uint8(j),
	}
}

func refPrepareNeighbors(p *Prepared) {
	n := len(p.points)
	p.nbrStart = make([]uint16, n+1)
	p.neighbors = make([]edge, 0, n*min(maxNeighbors, max(n-1, 0)))
	type near struct {
		d2 float32
		j  int
	}
	nearest := make([]near, 0, maxNeighbors+1)
	for i := range n {
		nearest = nearest[:0]
		a := p.points[i]
		for j := range n {
			b := p.points[j]
			d2 := (b.x-a.x)*(b.x-a.x) + (b.y-a.y)*(b.y-a.y)
			if j == i || d2 > maxNeighborDistance*maxNeighborDistance {
				continue
			}
			if len(nearest) == maxNeighbors && d2 >= nearest[maxNeighbors-1].d2 {
				continue
			}
			if len(nearest) < maxNeighbors {
				nearest = append(nearest, near{d2, j})
			} else {
				nearest[maxNeighbors-1] = near{d2, j}
			}
			for k := len(nearest) - 1; k > 0 && nearest[k].d2 < nearest[k-1].d2; k-- {
				nearest[k], nearest[k-1] = nearest[k-1], nearest[k]
			}
		}
		for _, nb := range nearest {
			p.neighbors = append(p.neighbors, refMakeEdge(p, i, nb.j))
		}
		p.nbrStart[i+1] = uint16(len(p.neighbors))
	}
}

func refBinsOf(v, span, tol float32, nbins int, wrap bool) (int, int) {
	w := span / float32(nbins)
	b := int(v / w)
	if b >= nbins {
		b = nbins - 1
	}
	if b < 0 {
		b = 0
	}
	lo, hi := float32(b)*w, float32(b+1)*w
	other := b
	if v-lo < tol {
		other = b - 1
	} else if hi-v < tol {
		other = b + 1
	}
	switch {
	case other == b:
		return b, -1
	case other >= 0 && other < nbins:
		return b, other
	case wrap:
		return b, (other + nbins) % nbins
	}
	return b, -1
}

func refLengthBins(v, tol float32) (first, last int) {
	first, _ = refBinsOf(v-tol, maxRootEdge, 0, rootLengthBins, false)
	last, _ = refBinsOf(v+tol, maxRootEdge, 0, rootLengthBins, false)
	return first, last
}

func refCell(e *edge) int {
	l, _ := refBinsOf(e.length, maxRootEdge, 0, rootLengthBins, false)
	a, _ := refBinsOf(fromFixed(e.refAngle), 2*math.Pi, 0, rootAngleBins, true)
	b, _ := refBinsOf(fromFixed(e.nbrAngle), 2*math.Pi, 0, rootAngleBins, true)
	return (l*rootAngleBins+a)*rootAngleBins + b
}

func refPrepareRootEdges(p *Prepared) {
	type entry struct {
		cell int
		e    tableEdge
	}
	var entries []entry
	for k, e := range p.neighbors {
		if e.length < minRootEdge || e.length > maxRootEdge || k-int(p.nbrStart[e.from]) >= rootNeighbors {
			continue
		}
		p.lookups = append(p.lookups, lookup{
			lo:       toLengthUnits(e.length - e.tol),
			hi:       toLengthUnits(e.length + e.tol),
			refAngle: e.refAngle,
			nbrAngle: e.nbrAngle,
			from:     e.from,
			to:       e.to,
			cell:     uint16(refCell(&e)),
		})
		te := tableEdge{length: toLengthUnits(e.length), refAngle: e.refAngle, nbrAngle: e.nbrAngle, from: e.from, to: e.to}
		lFirst, lLast := refLengthBins(e.length, lengthTol(e.length+e.tol))
		a0, a1 := refBinsOf(fromFixed(e.refAngle), 2*math.Pi, angleTolerance, rootAngleBins, true)
		b0, b1 := refBinsOf(fromFixed(e.nbrAngle), 2*math.Pi, angleTolerance, rootAngleBins, true)
		for l := lFirst; l <= lLast; l++ {
			for _, a := range [2]int{a0, a1} {
				for _, b := range [2]int{b0, b1} {
					if l < 0 || a < 0 || b < 0 {
						continue
					}
					entries = append(entries, entry{(l*rootAngleBins+a)*rootAngleBins + b, te})
				}
			}
		}
	}
	slices.SortFunc(p.lookups, func(a, b lookup) int {
		return cmp.Or(cmp.Compare(a.cell, b.cell), cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	p.cellStart = make([]uint16, numCells+1)
	for _, en := range entries {
		p.cellStart[en.cell+1]++
	}
	for k := range numCells {
		p.cellStart[k+1] += p.cellStart[k]
	}
	p.rootEdges = make([]tableEdge, len(entries))
	next := slices.Clone(p.cellStart[:numCells])
	for _, en := range entries {
		p.rootEdges[next[en.cell]] = en.e
		next[en.cell]++
	}
	for k := range numCells {
		slices.SortFunc(p.rootEdges[p.cellStart[k]:p.cellStart[k+1]], func(a, b tableEdge) int {
			return cmp.Or(cmp.Compare(a.length, b.length), cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
		})
	}
}

// TestAngleCellsMatchBinsOf tries angleCells, which Prepare uses instead of
// binsOf for the angles of the edge table, on every fixed-point angle.
func TestAngleCellsMatchBinsOf(t *testing.T) {
	for a := range fixedTurn {
		wantCell, wantOther := binsOf(fromFixed(uint16(a)), 2*math.Pi, angleTolerance, rootAngleBins, true)
		cell, other := angleCells(uint16(a))
		if cell != wantCell || other != wantOther {
			t.Fatalf("angleCells(%d) = %d, %d; binsOf: %d, %d", a, cell, other, wantCell, wantOther)
		}
	}
}

// TestEdgeAtan2MatchesMath holds edgeAtan2, and atanQuadrant for the edge
// back, to math.Atan2, bit for bit, on the differences of float32
// coordinates Prepare measures and on math.Atan2's special cases.
func TestEdgeAtan2MatchesMath(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	values := []float64{0, math.Copysign(0, -1), 1, -1, 1e-40, -1e-40, 3e38, -3e38, math.Inf(1), math.Inf(-1), math.NaN()}
	for range 100000 {
		values = append(values, float64(float32(600*rng.Float64()-300)-float32(600*rng.Float64()-300)))
	}
	for k, y := range values {
		for _, x := range []float64{values[(k+1)%len(values)], values[(k*7+3)%len(values)], y, -y, 0, math.Copysign(0, -1)} {
			same := func(a, b float64) bool {
				return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
			}
			phi, q := edgeAtan2(y, x)
			if want := math.Atan2(y, x); !same(phi, want) {
				t.Fatalf("edgeAtan2(%g, %g) = %g; math.Atan2: %g", y, x, phi, want)
			}
			if math.IsNaN(q) {
				continue
			}
			if back, want := atanQuadrant(q, -x), math.Atan2(-y, -x); !same(back, want) {
				t.Fatalf("atanQuadrant for (%g, %g) = %g; math.Atan2: %g", -y, -x, back, want)
			}
		}
	}
}
