package bench

import (
	"math"
	"math/rand/v2"
)

// splitmix64 mixes x into a well-distributed 64-bit value. It derives
// independent seeds for files and cells from the user's seed.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newRand returns a PCG generator determined by seed and stream.
func newRand(seed int64, stream uint64) *rand.Rand {
	a := splitmix64(uint64(seed) ^ splitmix64(stream))
	return rand.New(rand.NewPCG(a, splitmix64(a)))
}

// unitFloat maps a hash to [0, 1).
func unitFloat(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// alias is Vose's alias table: O(1) sampling from a discrete distribution.
type alias struct {
	prob  []float64
	alias []int32
}

func newAlias(weights []float64) alias {
	n := len(weights)
	a := alias{prob: make([]float64, n), alias: make([]int32, n)}
	var sum float64
	for _, w := range weights {
		sum += w
	}
	scaled := make([]float64, n)
	var small, large []int
	for i, w := range weights {
		scaled[i] = w * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s], a.alias[s] = scaled[s], int32(l)
		scaled[l] += scaled[s] - 1
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		a.prob[i] = 1
	}
	for _, i := range small {
		a.prob[i] = 1
	}
	return a
}

func (a *alias) pick(r *rand.Rand) int {
	i := r.IntN(len(a.prob))
	if r.Float64() < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}

// zipfWeights returns n weights proportional to 1/(rank+1)^s.
func zipfWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return w
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// appendAlnum appends n random characters from alphabet.
func appendRand(b []byte, r *rand.Rand, alphabet string, n int) []byte {
	for range n {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	return b
}

func randStr(r *rand.Rand, alphabet string, n int) string {
	return string(appendRand(make([]byte, 0, n), r, alphabet, n))
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	upperHex    = "0123456789ABCDEF"
)

// uuid returns a random (version 4) UUID string.
func uuid(r *rand.Rand) string {
	var b [36]byte
	hi, lo := r.Uint64(), r.Uint64()
	j := 0
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[j] = '-'
			j++
		}
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*i) & 0xf
		} else {
			nib = lo >> (60 - 4*(i-16)) & 0xf
		}
		switch i {
		case 12:
			nib = 4
		case 16:
			nib = 8 | nib&3
		}
		b[j] = hexDigits[nib]
		j++
	}
	return string(b[:])
}

// hexStr returns n random lower-case hex digits.
func hexStr(r *rand.Rand, n int) string { return randStr(r, hexDigits, n) }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// oneOf returns a random element of xs.
func oneOf[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }
