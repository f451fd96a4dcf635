package server

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// LogRequests is a unary interceptor that logs each RPC: method, caller
// (the client certificate's common name), status code and duration. It
// never logs request or response contents: they hold biometric data and
// subject ids.
func (s *Server) LogRequests(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	s.log.Info("rpc",
		"method", info.FullMethod,
		"caller", caller(ctx),
		"code", status.Code(err).String(),
		"ms", float64(time.Since(start).Microseconds())/1000,
	)
	return resp, err
}

// caller names the client: the common name of the certificate it
// presented (verified or not: it also names who failed to authenticate),
// or its address when it presented none.
func caller(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return ""
	}
	if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
		return ti.State.PeerCertificates[0].Subject.CommonName
	}
	return p.Addr.String()
}

// actor names who is acting, for the records that keep it (who registered
// a latent, who decided a hit): the person a verified token named, with the
// station, else the station; as authorisation established them, or
// without the audit interceptor the name the caller presented.
func actor(ctx context.Context) string {
	if slot, ok := ctx.Value(identitySlotKey{}).(*identitySlot); ok && slot.ok {
		if slot.id.Person != "" {
			return slot.id.Person + " at " + slot.id.Station
		}
		return slot.id.Station
	}
	return caller(ctx)
}
