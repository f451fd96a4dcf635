package matcher

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/whorlafis/whorl/minutiae"
)

// Key names one enrolled finger: the subject's global id and the finger's
// position (minutiae.UnknownFinger when not known).
type Key struct {
	Subject  string
	Position minutiae.FingerPosition
}

func (k Key) String() string { return fmt.Sprintf("%s/%d", k.Subject, k.Position) }

// Gallery is the in-memory set of enrolled fingers that searches scan. It is
// safe for concurrent use: adds, replacements and removals run while
// searches do, and each search sees one consistent snapshot of the gallery,
// taken when it starts. The zero value is an empty gallery ready to use.
//
// # Layout
//
// Fingers are grouped by subject into records, and records are stored in
// segments of flat, pointer-free arrays (per finger 16 bytes of entry, 6
// bytes per minutia, 4 bytes per index edge): a scan reads them forwards
// and the garbage collector never looks inside them. Segments only ever
// grow at the end: a snapshot records how far each segment reached when it
// was taken and never reads beyond, so writers append without disturbing
// readers. A removal marks the record deleted in a bitset that is copied on
// write, so a snapshot's bitset never changes either. Replacing a subject is
// a removal and an append published together. A full (sealed) segment in
// which half the records are deleted is rewritten without them.
type Gallery struct {
	// LatentFile makes the gallery an unsolved latent file, searched with
	// SearchReverse: each entry also keeps its latent prepared for
	// comparison as a probe (a few kilobytes a latent), so that every
	// enrolment's reverse search compares without preparing each latent
	// again, which would be most of its cost. Set it before the first Add.
	LatentFile bool

	// mu serialises writers; searches never take it.
	mu       sync.Mutex
	snap     atomic.Pointer[snapshot]
	subjects map[string]recordRef // where each live subject's record is; under mu
}

// recordRef locates a subject's record.
type recordRef struct {
	seg    *segment
	record uint32
}

// entry is one finger in a segment: where its minutiae and index edges are
// in the segment's arrays, its record (subject) and position.
type entry struct {
	points   uint32
	edges    uint32
	record   uint32
	nEdges   uint16
	nPoints  uint8
	position minutiae.FingerPosition
}

// record is one subject in a segment: its fingers are entries
// [first, first+count).
type record struct {
	first uint32
	count uint8
}

// segment holds the arrays that grow by appending. Only writers, under the
// gallery's mutex, touch a segment itself; readers use a segmentView.
type segment struct {
	entries []entry
	points  []galleryPoint
	edges   []indexEdge
	records []record
	ids     []string // per record: the subject id
	// latents[i] is entries[i] prepared as a latent probe, in a latent
	// file (Gallery.LatentFile); nil otherwise.
	latents []*Prepared
	sealed  bool
}

// segmentView is a segment as of one snapshot: the prefixes of its arrays
// that existed then, and the records deleted then. None of it changes
// after the snapshot is published.
type segmentView struct {
	seg     *segment
	entries []entry
	points  []galleryPoint
	edges   []indexEdge
	records []record
	ids     []string
	latents []*Prepared
	deleted []uint64 // bitset over records
	dead    int      // records deleted
}

func (v *segmentView) isDeleted(r uint32) bool { return v.deleted[r>>6]>>(r&63)&1 != 0 }

// snapshot is the gallery as one search sees it.
type snapshot struct {
	segs     []segmentView
	fingers  int
	subjects int
}

// Segments are sealed at these sizes; the limits keep the slack of a
// growing segment and the cost of rewriting one bounded. (Variables only so
// that a test can make segments tiny and seal and compact them often.)
var (
	segmentEntries = 1 << 15
	segmentRecords = 1 << 14
)

// maxFingersPerSubject bounds a record (ten fingers, palms and spares).
const maxFingersPerSubject = 32

// Errors of the gallery.
var (
	ErrEmptySubject    = errors.New("matcher: empty subject id")
	ErrTooManyFingers  = fmt.Errorf("matcher: more than %d fingers for one subject", maxFingersPerSubject)
	ErrDuplicateFinger = errors.New("matcher: two fingers with the same known position")
	ErrNoMinutiae      = errors.New("matcher: a template with fewer than 2 minutiae cannot be searched")
	ErrNoFingers       = errors.New("matcher: a subject without fingers")
	ErrBadPosition     = fmt.Errorf("matcher: finger position above %d", minutiae.MaxFingerPosition)
)

// finger is a template made ready for the gallery, outside the lock.
type finger struct {
	position minutiae.FingerPosition
	points   []galleryPoint
	edges    []indexEdge
	latent   *Prepared // in a latent file, the finger prepared as a latent probe
}

// A finger whose minutiae yield no index edge (all pairs too close or too
// far apart) is kept: the first stage cannot find it, but Identify's
// per-subject comparisons and exhaustive searches still compare it.
func newFinger(t minutiae.Template, latentFile bool) (finger, error) {
	if len(t.Minutiae) < 2 {
		return finger{}, ErrNoMinutiae
	}
	if !t.Position.Valid() {
		return finger{}, fmt.Errorf("%w: %d", ErrBadPosition, t.Position)
	}
	p := Prepare(t)
	f := finger{position: t.Position, points: appendGalleryPoints(nil, p), edges: appendIndexEdges(nil, p)}
	if latentFile {
		f.latent = prepareLatent(f.points, t.Impression)
	}
	return f, nil
}

func (g *Gallery) load() *snapshot {
	if s := g.snap.Load(); s != nil {
		return s
	}
	return &snapshot{}
}

// Len returns the number of fingers and of subjects in the gallery.
func (g *Gallery) Len() (fingers, subjects int) {
	s := g.load()
	return s.fingers, s.subjects
}

// Has reports whether a finger is enrolled.
func (g *Gallery) Has(k Key) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	ref, ok := g.subjects[k.Subject]
	if !ok {
		return false
	}
	r := ref.seg.records[ref.record]
	for _, e := range ref.seg.entries[r.first : r.first+uint32(r.count)] {
		if e.position == k.Position {
			return true
		}
	}
	return false
}

// AddSubject enrols a subject's fingers (their positions are the templates'
// Position), replacing whatever the gallery held for that subject, in one
// step: no search sees the subject half replaced.
func (g *Gallery) AddSubject(subject string, fingers []minutiae.Template) error {
	if subject == "" {
		return ErrEmptySubject
	}
	if len(fingers) > maxFingersPerSubject {
		return ErrTooManyFingers
	}
	if len(fingers) == 0 {
		return ErrNoFingers
	}
	fs := make([]finger, len(fingers))
	seen := map[minutiae.FingerPosition]bool{}
	for i, t := range fingers {
		if t.Position != minutiae.UnknownFinger && seen[t.Position] {
			return fmt.Errorf("%w: %d", ErrDuplicateFinger, t.Position)
		}
		seen[t.Position] = true
		f, err := newFinger(t, g.LatentFile)
		if err != nil {
			return fmt.Errorf("finger %d: %w", i, err)
		}
		fs[i] = f
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	w := g.begin()
	w.remove(subject)
	w.append(subject, fs)
	g.commit(w)
	return nil
}

// Add enrols one finger, or replaces the finger at the same known position
// of the same subject. A finger of unknown position is always added.
func (g *Gallery) Add(k Key, t minutiae.Template) error {
	if k.Subject == "" {
		return ErrEmptySubject
	}
	t.Position = k.Position
	f, err := newFinger(t, g.LatentFile)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	w := g.begin()
	fs := w.fingersOf(k.Subject, func(p minutiae.FingerPosition) bool {
		return p != minutiae.UnknownFinger && p == k.Position
	})
	if len(fs) >= maxFingersPerSubject {
		return ErrTooManyFingers
	}
	w.remove(k.Subject)
	w.append(k.Subject, append(fs, f))
	g.commit(w)
	return nil
}

// Remove removes one finger (all fingers of unknown position when
// k.Position is unknown) and reports whether there was one. A subject left
// with no finger is removed.
func (g *Gallery) Remove(k Key) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.subjects[k.Subject]; !ok {
		return false
	}
	w := g.begin()
	before := w.fingersOf(k.Subject, func(minutiae.FingerPosition) bool { return false })
	keep := w.fingersOf(k.Subject, func(p minutiae.FingerPosition) bool { return p == k.Position })
	if len(keep) == len(before) {
		return false
	}
	w.remove(k.Subject)
	if len(keep) > 0 {
		w.append(k.Subject, keep)
	}
	g.commit(w)
	return true
}

// RemoveSubject removes all of a subject's fingers and reports whether the
// subject was enrolled.
func (g *Gallery) RemoveSubject(subject string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.subjects[subject]; !ok {
		return false
	}
	w := g.begin()
	w.remove(subject)
	g.commit(w)
	return true
}

// write is a change being made to the gallery under its mutex: a copy of
// the current snapshot's segment list that is changed and then published.
type write struct {
	g    *Gallery
	snap snapshot
	// copied marks the views whose deleted bitset this write already owns.
	copied map[int]bool
}

func (g *Gallery) begin() *write {
	if g.subjects == nil {
		g.subjects = map[string]recordRef{}
	}
	old := g.load()
	w := &write{g: g, snap: *old, copied: map[int]bool{}}
	w.snap.segs = append([]segmentView(nil), old.segs...)
	return w
}

// viewOf returns the index of a segment's view in the write's snapshot.
func (w *write) viewOf(seg *segment) int {
	for i := range w.snap.segs {
		if w.snap.segs[i].seg == seg {
			return i
		}
	}
	panic("matcher: gallery segment missing from its snapshot")
}

// fingersOf returns copies of the fingers of a subject's current record,
// without those for which drop is true.
func (w *write) fingersOf(subject string, drop func(minutiae.FingerPosition) bool) []finger {
	ref, ok := w.g.subjects[subject]
	if !ok {
		return nil
	}
	s := ref.seg
	r := s.records[ref.record]
	var fs []finger
	for i, e := range s.entries[r.first : r.first+uint32(r.count)] {
		if drop(e.position) {
			continue
		}
		f := finger{
			position: e.position,
			points:   append([]galleryPoint(nil), s.points[e.points:e.points+uint32(e.nPoints)]...),
			edges:    append([]indexEdge(nil), s.edges[e.edges:e.edges+uint32(e.nEdges)]...),
		}
		if s.latents != nil {
			f.latent = s.latents[r.first+uint32(i)] // a Prepared is never changed: shared
		}
		fs = append(fs, f)
	}
	return fs
}

// remove marks a subject's record deleted, if it has one.
func (w *write) remove(subject string) {
	ref, ok := w.g.subjects[subject]
	if !ok {
		return
	}
	i := w.viewOf(ref.seg)
	v := &w.snap.segs[i]
	if !w.copied[i] {
		v.deleted = append([]uint64(nil), v.deleted...)
		w.copied[i] = true
	}
	v.deleted[ref.record>>6] |= 1 << (ref.record & 63)
	v.dead++
	w.snap.subjects--
	w.snap.fingers -= int(v.records[ref.record].count)
	delete(w.g.subjects, subject)
}

// append adds a record for a subject at the end of the last segment,
// starting a new segment when that one is full.
func (w *write) append(subject string, fs []finger) {
	n := len(w.snap.segs)
	if n == 0 || w.snap.segs[n-1].seg.sealed ||
		len(w.snap.segs[n-1].entries)+len(fs) > segmentEntries || len(w.snap.segs[n-1].records) >= segmentRecords {
		if n > 0 && !w.snap.segs[n-1].seg.sealed {
			w.seal(n - 1)
		}
		w.snap.segs = append(w.snap.segs, segmentView{seg: &segment{}})
		n++
	}
	v := &w.snap.segs[n-1]
	s := v.seg
	rec := uint32(len(s.records))
	s.records = append(s.records, record{first: uint32(len(s.entries)), count: uint8(len(fs))})
	s.ids = append(s.ids, subject)
	for _, f := range fs {
		s.entries = append(s.entries, entry{
			points:   uint32(len(s.points)),
			edges:    uint32(len(s.edges)),
			record:   rec,
			nEdges:   uint16(len(f.edges)),
			nPoints:  uint8(len(f.points)),
			position: f.position,
		})
		s.points = append(s.points, f.points...)
		s.edges = append(s.edges, f.edges...)
		if w.g.LatentFile {
			s.latents = append(s.latents, f.latent)
		}
	}
	if int(rec>>6) >= len(v.deleted) {
		// A new word of the bitset: the view gets its own copy with it.
		v.deleted = append(append([]uint64(nil), v.deleted...), 0)
		w.copied[n-1] = true
	}
	v.entries, v.points, v.edges, v.records, v.ids, v.latents = s.entries, s.points, s.edges, s.records, s.ids, s.latents
	w.snap.subjects++
	w.snap.fingers += len(fs)
	w.g.subjects[subject] = recordRef{s, rec}
}

// seal trims a full segment's arrays to their length (a growing slice keeps
// up to as much again in spare capacity) and stops appends to it. Views of
// older snapshots keep the untrimmed arrays until they are dropped.
func (w *write) seal(i int) {
	v := &w.snap.segs[i]
	s := v.seg
	s.entries = append([]entry(nil), s.entries...)
	s.points = append([]galleryPoint(nil), s.points...)
	s.edges = append([]indexEdge(nil), s.edges...)
	s.records = append([]record(nil), s.records...)
	s.ids = append([]string(nil), s.ids...)
	if s.latents != nil {
		s.latents = append([]*Prepared(nil), s.latents...)
	}
	s.sealed = true
	v.entries, v.points, v.edges, v.records, v.ids, v.latents = s.entries, s.points, s.edges, s.records, s.ids, s.latents
}

// compact rewrites the sealed segments that are mostly deleted records.
func (w *write) compact() {
	for i := 0; i < len(w.snap.segs); i++ {
		v := &w.snap.segs[i]
		if !v.seg.sealed || v.dead*2 < len(v.records) {
			continue
		}
		old := *v
		s := &segment{sealed: true}
		for r := range old.records {
			if old.isDeleted(uint32(r)) {
				continue
			}
			rec := old.records[r]
			nr := uint32(len(s.records))
			s.records = append(s.records, record{first: uint32(len(s.entries)), count: rec.count})
			s.ids = append(s.ids, old.ids[r])
			for k, e := range old.entries[rec.first : rec.first+uint32(rec.count)] {
				if old.latents != nil {
					s.latents = append(s.latents, old.latents[rec.first+uint32(k)])
				}
				ne := e
				ne.record = nr
				ne.points = uint32(len(s.points))
				ne.edges = uint32(len(s.edges))
				s.entries = append(s.entries, ne)
				s.points = append(s.points, old.points[e.points:e.points+uint32(e.nPoints)]...)
				s.edges = append(s.edges, old.edges[e.edges:e.edges+uint32(e.nEdges)]...)
			}
			w.g.subjects[old.ids[r]] = recordRef{s, nr}
		}
		if len(s.records) == 0 {
			w.snap.segs = append(w.snap.segs[:i], w.snap.segs[i+1:]...)
			i--
			continue
		}
		*v = segmentView{seg: s, entries: s.entries, points: s.points, edges: s.edges,
			records: s.records, ids: s.ids, latents: s.latents, deleted: make([]uint64, (len(s.records)+63)/64)}
	}
}

// commit publishes the write's snapshot: searches that start from now on
// see it.
func (g *Gallery) commit(w *write) {
	w.compact()
	s := w.snap
	g.snap.Store(&s)
}

// Stored returns a template as a gallery stores it, which is what the
// precise matcher compares in a search: whole-pixel positions relative to
// the centroid of the minutiae, at most minutiae.MaxMinutiae of them. A
// comparison with Prepare(Stored(t)) gives exactly the score a search gives
// the entry made from t.
func Stored(t minutiae.Template) minutiae.Template {
	s := galleryTemplate(appendGalleryPoints(nil, Prepare(t)), nil)
	s.Width, s.Height, s.Position, s.Impression, s.Quality = t.Width, t.Height, t.Position, t.Impression, t.Quality
	return s
}

// ErrUnknownSubject is returned for a subject the gallery does not hold.
var ErrUnknownSubject = errors.New("matcher: unknown subject")

// CompareSubject compares a probe with each of an enrolled subject's fingers
// that its position makes eligible (see SearchOptions) and returns them
// best first, with pairs: what a verification needs.
func (g *Gallery) CompareSubject(subject string, probe minutiae.Template, opt SearchOptions) ([]Candidate, error) {
	q := newQuery(probe)
	if q == nil {
		return nil, ErrNoMinutiae
	}
	elig := eligibility(probe.Position, opt)
	// The writers' index says where the subject is; the snapshot published
	// under the same lock holds exactly that state.
	g.mu.Lock()
	ref, ok := g.subjects[subject]
	s := g.load()
	g.mu.Unlock()
	if !ok {
		return nil, ErrUnknownSubject
	}
	var out []Candidate
	for i := range s.segs {
		v := &s.segs[i]
		if v.seg != ref.seg {
			continue
		}
		rec := v.records[ref.record]
		for j := rec.first; j < rec.first+uint32(rec.count); j++ {
			if e := &v.entries[j]; elig.has(e.position) {
				res := Compare(q.prepared, s.prepared(int32(i), j, false))
				out = append(out, Candidate{Key: Key{subject, e.position}, Score: res.Score, FMR: FMR(res.Score), Pairs: res.Pairs})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Candidate) int { return cmp.Compare(b.Score, a.Score) })
	return out, nil
}

// HasSubject reports whether a subject is enrolled.
func (g *Gallery) HasSubject(subject string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.subjects[subject]
	return ok
}
