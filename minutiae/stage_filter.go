package minutiae

import "math"

// removeFalseMinutiae marks the candidates that are artefacts of noise,
// of the binarisation or of the image's edge, and returns the others. In
// order:
//
//   - spurs: an ending whose ridge meets a bifurcation within
//     spurMaxLength (a hair on the skeleton), with that bifurcation;
//   - islands: an ending whose ridge ends again within islandMaxLength
//     (a dot or a short fragment), with the other end;
//   - bridges and holes: a bifurcation joined to another by a ridge
//     shorter than bridgeMaxLength, with the other;
//   - breaks: two endings closer than breakMaxDistance facing each other
//     (one ridge interrupted by a scar, a pore or dryness);
//   - the border: minutiae closer than borderMargin (latentBorderMargin
//     for latents) to the mask's edge or the image's, where ridges are cut
//     rather than ended, and, for latents, endings whose ridge runs out of
//     the mask within latentFadedRange (fadedEnding);
//   - crowds: pairs closer than minDistance, and clusters of more than
//     clusterMaxOthers others within clusterRadius.
func removeFalseMinutiae(p *plane, cs []candidate, m *mask, tr Trace) []candidate {
	for i := range cs {
		c := &cs[i]
		switch c.kind {
		case KindEnding:
			wr := c.walks[0]
			if wr.stop == stopJunction && wr.length <= spurMaxLength {
				c.remove(RemovedSpur)
				markNear(cs, wr.x, wr.y, 2, KindBifurcation, RemovedSpur)
			}
			if wr.stop == stopEnd && wr.length <= islandMaxLength {
				c.remove(RemovedIsland)
				markNear(cs, wr.x, wr.y, 1, KindEnding, RemovedIsland)
			}
		case KindBifurcation:
			for k := range c.nwalks {
				wr := c.walks[k]
				// A junction within 2 pixels is this bifurcation's own (its
				// pixels can form a small clump), not another one.
				if wr.stop == stopJunction && wr.length <= bridgeMaxLength && (abs(wr.x-c.x) > 2 || abs(wr.y-c.y) > 2) {
					c.remove(RemovedBridge)
					markNear(cs, wr.x, wr.y, 2, KindBifurcation, RemovedBridge)
				}
				if wr.stop == stopEnd && wr.length <= spurMaxLength {
					c.remove(RemovedSpur)
				}
			}
			// A hole: two branches that meet again.
			for k := range c.nwalks {
				a, b := c.walks[k], c.walks[(k+1)%c.nwalks]
				if a.stop == stopJunction && b.stop == stopJunction && abs(a.x-b.x) <= 2 && abs(a.y-b.y) <= 2 {
					c.remove(RemovedHole)
					markNear(cs, a.x, a.y, 2, KindBifurcation, RemovedHole)
				}
			}
		}
	}
	removeBreaks(cs)
	for i := range cs {
		if c := &cs[i]; !c.removed() && (nearBorder(p, m, c.x, c.y, p.tune.borderMargin) || fadedEnding(p, m, c)) {
			c.remove(RemovedBorder)
		}
	}
	removeCrowds(cs)
	if tr != nil {
		var gone []RemovedMinutia
		for i := range cs {
			if c := &cs[i]; c.removed() {
				gone = append(gone, RemovedMinutia{Minutia: c.minutia(), Reason: c.removedBy})
			}
		}
		tr.Stage(StageRemoved, gone)
	}
	kept := cs[:0]
	for _, c := range cs {
		if !c.removed() {
			kept = append(kept, c)
		}
	}
	if tr != nil {
		tr.Stage(StageMinutiae, toMinutiae(kept))
	}
	return kept
}

// markNear removes, by the named filter, the candidates of kind k within r
// pixels (chessboard) of (x, y).
func markNear(cs []candidate, x, y, r int, k Kind, by string) {
	for i := range cs {
		c := &cs[i]
		if c.kind == k && abs(c.x-x) <= r && abs(c.y-y) <= r {
			c.remove(by)
		}
	}
}

// angleDiff is the absolute difference of two angles, in [0, π].
func angleDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 2*math.Pi)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}

// removeBreaks removes pairs of endings that face each other across a short
// gap: opposite directions, each pointing away from the other.
func removeBreaks(cs []candidate) {
	for i := range cs {
		a := &cs[i]
		if a.removed() || a.kind != KindEnding {
			continue
		}
		for j := i + 1; j < len(cs); j++ {
			b := &cs[j]
			if b.removed() || b.kind != KindEnding {
				continue
			}
			dx, dy := float64(b.x-a.x), float64(b.y-a.y)
			d := math.Hypot(dx, dy)
			if d > breakMaxDistance {
				continue
			}
			if angleDiff(a.dir, b.dir+math.Pi) > breakMaxAngle {
				continue
			}
			// a's ridge leads away from b: the line a → b is a's direction reversed.
			if d > 2 && angleDiff(modelAngle(dx, dy), a.dir+math.Pi) > breakMaxAngle {
				continue
			}
			a.remove(RemovedBreak)
			b.remove(RemovedBreak)
			break
		}
	}
}

// nearBorder reports whether (x, y) is within r of the mask's background
// or the image's edge, probing eight points on a circle.
func nearBorder(p *plane, m *mask, x, y, r int) bool {
	d := r * 7 / 10 // r/√2
	for _, o := range [8][2]int{{r, 0}, {-r, 0}, {0, r}, {0, -r}, {d, d}, {d, -d}, {-d, d}, {-d, -d}} {
		if !m.in(p, x+o[0], y+o[1]) {
			return true
		}
	}
	return false
}

// fadedEnding reports whether c is an ending whose ridge, continued past
// it (against its direction), leaves the mask within p.tune.fadedRange
// pixels. A latent's ridges do not end at its edge, they fade into the
// surface, and the skeleton stops where they become too faint: an ending
// there whose ridge points out of the print is where the deposit ends, not
// the ridge. Endings that point along the edge or out of it, and
// bifurcations, are kept. Off (false) when the range is 0, as for full
// prints, whose edge the larger borderMargin keeps away.
func fadedEnding(p *plane, m *mask, c *candidate) bool {
	r := p.tune.fadedRange
	if r == 0 || c.kind != KindEnding {
		return false
	}
	s, co := math.Sincos(c.dir)
	ux, uy := -co, s // against the direction, in image coordinates (y down)
	for d := 2; d <= r; d += 2 {
		if !m.in(p, c.x+roundInt(float64(d)*ux), c.y+roundInt(float64(d)*uy)) {
			return true
		}
	}
	return false
}

// removeCrowds removes pairs of minutiae closer than minDistance and
// minutiae in clusters.
func removeCrowds(cs []candidate) {
	n := len(cs)
	drop := make([]string, n)
	for i := range cs {
		if cs[i].removed() {
			continue
		}
		others := 0
		for j := range cs {
			if j == i || cs[j].removed() {
				continue
			}
			d := math.Hypot(float64(cs[i].x-cs[j].x), float64(cs[i].y-cs[j].y))
			if d < minDistance {
				drop[i], drop[j] = RemovedTooClose, RemovedTooClose
			}
			if d < clusterRadius {
				others++
			}
		}
		if others > clusterMaxOthers && drop[i] == "" {
			drop[i] = RemovedCluster
		}
	}
	for i := range cs {
		if drop[i] != "" {
			cs[i].remove(drop[i])
		}
	}
}
