package correlate

import (
	"math"
	"strconv"
	"strings"
)

// The ssdeep comparison MISP applies with advanced correlation: libfuzzy's fuzzy_compare
// (ssdeep 2.14), a score from 0 to 100. A hash is "blocksize:sig1:sig2", sig1 computed with
// the block size and sig2 with twice it; two hashes can be compared only when they share a
// block size, and two signatures score above 0 only when they have a substring of
// ssdeepWindow characters in common.

const (
	ssdeepWindow       = 7  // libfuzzy's ROLLING_WINDOW
	ssdeepMinBlockSize = 3  // MIN_BLOCKSIZE
	ssdeepMaxSig       = 64 // SPAMSUM_LENGTH: the longest signature
)

// ssdeepHash is a parsed ssdeep hash, its signatures with every run of more than three
// identical characters cut to three, as libfuzzy compares them.
type ssdeepHash struct {
	blockSize uint64
	sig       [2]string
}

// parseSSDeep reads an ssdeep hash; a file name after a comma is ignored, as libfuzzy does.
func parseSSDeep(s string) (ssdeepHash, bool) {
	var h ssdeepHash
	size, rest, ok := strings.Cut(s, ":")
	if !ok || size == "" || strings.TrimLeft(size, "0123456789") != "" {
		return h, false
	}
	var err error
	if h.blockSize, err = strconv.ParseUint(size, 10, 64); err != nil {
		return h, false
	}
	sig1, sig2, ok := strings.Cut(rest, ":")
	if !ok {
		return h, false
	}
	sig2, _, _ = strings.Cut(sig2, ",")
	h.sig[0], h.sig[1] = shortenRuns(sig1), shortenRuns(sig2)
	if len(h.sig[0]) > ssdeepMaxSig || len(h.sig[1]) > ssdeepMaxSig {
		return h, false
	}
	return h, true
}

// shortenRuns cuts every run of more than three identical characters to three.
func shortenRuns(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		n := len(b)
		if n >= 3 && b[n-1] == s[i] && b[n-2] == s[i] && b[n-3] == s[i] {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// SSDeepScore compares two ssdeep hashes as libfuzzy's fuzzy_compare does: 0 (unrelated,
// or not comparable) to 100 (identical). A hash that does not parse scores 0.
func SSDeepScore(a, b string) int {
	h1, ok1 := parseSSDeep(a)
	h2, ok2 := parseSSDeep(b)
	if !ok1 || !ok2 {
		return 0
	}
	return h1.compare(h2)
}

func (h ssdeepHash) compare(o ssdeepHash) int {
	b1, b2 := h.blockSize, o.blockSize
	if b1 == b2 && h.sig == o.sig {
		return 100
	}
	half := uint64(math.MaxUint64 / 2)
	switch {
	case b1 == b2 && b1 <= half:
		return max(scoreSignatures(h.sig[0], o.sig[0], b1),
			scoreSignatures(h.sig[1], o.sig[1], b1*2))
	case b1 == b2:
		return scoreSignatures(h.sig[0], o.sig[0], b1)
	case b1 <= half && b1*2 == b2:
		return scoreSignatures(o.sig[0], h.sig[1], b2)
	case b1%2 == 0 && b1/2 == b2:
		return scoreSignatures(h.sig[0], o.sig[1], b1)
	}
	return 0
}

// scoreSignatures scores two signatures computed with the same block size.
func scoreSignatures(s1, s2 string, blockSize uint64) int {
	if !commonWindow(s1, s2) {
		return 0
	}
	n := uint64(len(s1) + len(s2))
	score := uint64(editDistance(s1, s2)) * ssdeepMaxSig / n
	score = 100 - 100*score/ssdeepMaxSig
	// Small block sizes mean short inputs, whose matches say less: the score is capped.
	if blockSize >= (99+ssdeepWindow)/ssdeepWindow*ssdeepMinBlockSize {
		return int(score)
	}
	limit := blockSize / ssdeepMinBlockSize * uint64(min(len(s1), len(s2)))
	return int(min(score, limit))
}

// commonWindow reports whether s1 and s2 have a substring of ssdeepWindow characters in
// common.
func commonWindow(s1, s2 string) bool {
	if len(s1) < ssdeepWindow || len(s2) < ssdeepWindow {
		return false
	}
	for i := 0; i+ssdeepWindow <= len(s1); i++ {
		if strings.Contains(s2, s1[i:i+ssdeepWindow]) {
			return true
		}
	}
	return false
}

// editDistance is the edit distance libfuzzy scores with: an insertion or a removal costs
// 1, a replacement 2.
func editDistance(s1, s2 string) int {
	prev := make([]int, len(s2)+1)
	cur := make([]int, len(s2)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 0; i < len(s1); i++ {
		cur[0] = i + 1
		for j := 0; j < len(s2); j++ {
			replace := prev[j]
			if s1[i] != s2[j] {
				replace += 2
			}
			cur[j+1] = min(prev[j+1]+1, cur[j]+1, replace)
		}
		prev, cur = cur, prev
	}
	return prev[len(s2)]
}

// keys returns the index keys of h: one per window of ssdeepWindow characters of each
// signature, with the block size the signature was computed with, and one for the whole
// hash. Two hashes that score above 0 share a key: the windows their compared signatures
// have in common, or, for hashes that are equal once their runs are cut, the whole-hash key.
func (h ssdeepHash) keys() []int64 {
	size := strconv.FormatUint(h.blockSize, 10)
	out := []int64{Hash("ssdeep:" + size + ":" + h.sig[0] + ":" + h.sig[1])}
	seen := map[int64]bool{}
	for i, sig := range h.sig {
		if i == 1 {
			if h.blockSize > math.MaxUint64/2 {
				break
			}
			size = strconv.FormatUint(h.blockSize*2, 10)
		}
		for j := 0; j+ssdeepWindow <= len(sig); j++ {
			k := Hash("ssdeep-window:" + size + ":" + sig[j:j+ssdeepWindow])
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}
