package bench

import (
	"math/bits"
	"time"
)

// Histogram counts latencies in microseconds in log-linear buckets, as HDR histograms do:
// values below 128 µs are exact, and every power of two above is cut in 64 equal buckets,
// so a quantile is known within 1/64 (1.6 %) whatever the spread, in fixed memory.
type Histogram struct {
	counts   [histBuckets]int64
	total    int64
	sum      float64 // µs
	min, max int64   // µs
}

const (
	histSubBits = 6 // 64 buckets per power of two
	histExact   = 2 << histSubBits
	histMaxBits = 42 // 2^42 µs, about 51 days: anything longer is clamped
	histBuckets = histExact + (histMaxBits-histSubBits-1)*(1<<histSubBits)
)

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	us := max(d.Microseconds(), 0)
	us = min(us, int64(1)<<histMaxBits-1)
	h.counts[bucketOf(us)]++
	if h.total == 0 || us < h.min {
		h.min = us
	}
	h.max = max(h.max, us)
	h.total++
	h.sum += float64(us)
}

// Merge adds the counts of o.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// Count is the number of recorded latencies.
func (h *Histogram) Count() int64 { return h.total }

// Quantile returns the latency below which a share q of the recorded ones fall.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := int64(q*float64(h.total) + 0.5)
	rank = min(max(rank, 1), h.total)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			us := min(max((lo+hi)/2, h.min), h.max)
			return time.Duration(us) * time.Microsecond
		}
	}
	return time.Duration(h.max) * time.Microsecond
}

// Mean is the average latency.
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum/float64(h.total)) * time.Microsecond
}

// Max is the largest latency.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) * time.Microsecond }

// bucketOf maps a value to its bucket: exact below histExact, then 64 buckets per power of
// two, indexed by how far the value is shifted and its top bits.
func bucketOf(us int64) int {
	v := uint64(us)
	if v < histExact {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1 // keeps the top histSubBits+1 bits
	sub := int(v>>shift) - histExact/2
	return histExact + (shift-1)*(histExact/2) + sub
}

// bucketRange returns the values a bucket holds, [lo, hi).
func bucketRange(i int) (lo, hi int64) {
	if i < histExact {
		return int64(i), int64(i) + 1
	}
	i -= histExact
	shift := i/(histExact/2) + 1
	sub := int64(i%(histExact/2) + histExact/2)
	return sub << shift, (sub + 1) << shift
}
