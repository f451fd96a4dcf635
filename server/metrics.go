package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// Metrics are the server's Prometheus metrics, registered on their own
// registry so that a process may hold several servers (tests do).
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.HistogramVec
}

// NewMetrics registers the server's metrics: RPC counts and latencies by
// method and code, the gallery's size, read when scraped, and the standard
// process and Go runtime metrics.
func (s *Server) NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "whorl_rpc_seconds",
			Help:    "RPC latency by method and status code.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"method", "code"}),
	}
	m.Registry.MustRegister(m.requests,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "whorl_gallery_fingers", Help: "Fingers in the in-memory gallery."},
			func() float64 { f, _ := s.gallery.Len(); return float64(f) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "whorl_gallery_subjects", Help: "Subjects in the in-memory gallery."},
			func() float64 { _, n := s.gallery.Len(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "whorl_searches_running", Help: "Searches running now."},
			func() float64 { return float64(len(s.searches)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "whorl_searches_waiting", Help: "Connections in line for a search slot (refused, to be served first when they come back)."},
			func() float64 { return float64(s.line.waiting(s.now())) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "whorl_shed_total", Help: "Searches refused before their request was read: every search slot taken, or another connection ahead in line."},
			func() float64 { return float64(s.shedCount.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "whorl_extractions_running", Help: "Image decodes and extractions running now."},
			func() float64 { return float64(len(s.extractions)) }),
	)
	m.Registry.MustRegister(s.latentCollectors()...)
	// The process's memory, threads and file descriptors and the Go
	// runtime's goroutines and heap: what an operator watches for a leak.
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe is a unary interceptor that records each RPC's latency and code.
func (m *Metrics) Observe(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	m.requests.WithLabelValues(info.FullMethod, status.Code(err).String()).Observe(time.Since(start).Seconds())
	return resp, err
}
