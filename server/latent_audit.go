package server

import (
	"slices"

	whorlv1 "github.com/whorlafis/whorl/proto/whorl/v1"
)

// The latent workflow's part of the audit trail: which latents an RPC
// touched and which subjects it returned. The audit interceptor records
// latentsOf with the request's subject ids and latentCandidatesOf with the
// response's candidates, for calls and for each message a stream sends
// (audit.go).

// latentsOf lists the latent ids a latent RPC's request names and its
// response returns: the latent registered (with its server-assigned id),
// fetched, retired, decided on, listed, or whose hits were listed. A hit
// decision is audited under the hit's latent.
func latentsOf(req, resp any) []string {
	var ids idList
	add := ids.add
	switch r := req.(type) {
	case *whorlv1.RegisterLatentRequest:
		add(r.GetLatentId())
	case *whorlv1.GetLatentRequest:
		add(r.GetLatentId())
	case *whorlv1.RetireLatentRequest:
		add(r.GetLatentId())
	case *whorlv1.ListHitsRequest:
		add(r.GetLatentId())
	}
	switch r := resp.(type) {
	case *whorlv1.RegisterLatentResponse:
		add(r.GetLatent().GetLatentId())
	case *whorlv1.GetLatentResponse:
		add(r.GetLatent().GetLatentId())
	case *whorlv1.RetireLatentResponse:
		add(r.GetLatent().GetLatentId())
	case *whorlv1.ListLatentsResponse:
		for _, l := range r.GetLatents() {
			add(l.GetLatentId())
		}
	case *whorlv1.ListHitsResponse:
		for _, h := range r.GetHits() {
			add(h.GetLatentId())
		}
	case *whorlv1.DecideHitResponse:
		add(r.GetHit().GetLatentId())
	case *whorlv1.WatchLatentHitsResponse:
		add(r.GetHit().GetLatentId())
	}
	return ids
}

// latentCandidatesOf lists the subject ids a latent RPC's response returns:
// a latent search's candidates, the subjects of the hits listed, decided or
// pushed, and the subject a latent was identified with.
func latentCandidatesOf(resp any) []string {
	var ids idList
	add := ids.add
	switch r := resp.(type) {
	case *whorlv1.SearchLatentResponse:
		for _, c := range r.GetCandidates() {
			add(c.GetSubjectId())
		}
	case *whorlv1.ListHitsResponse:
		for _, h := range r.GetHits() {
			add(h.GetSubjectId())
		}
	case *whorlv1.DecideHitResponse:
		add(r.GetHit().GetSubjectId())
		add(r.GetLatent().GetIdentifiedSubjectId())
	case *whorlv1.WatchLatentHitsResponse:
		add(r.GetHit().GetSubjectId())
	case *whorlv1.GetLatentResponse:
		add(r.GetLatent().GetIdentifiedSubjectId())
	case *whorlv1.ListLatentsResponse:
		for _, l := range r.GetLatents() {
			add(l.GetIdentifiedSubjectId())
		}
	}
	return ids
}

// idList collects ids for an audit record: each once, in order, no empty
// one.
type idList []string

func (l *idList) add(id string) {
	if id != "" && !slices.Contains(*l, id) {
		*l = append(*l, id)
	}
}
