// Sparse formats: pack/unpack round trips (2:4, bitmap, CSR, BSR), layouts on small cases,
// validation errors.
#include <array>
#include <cstring>
#include <vector>

#include "common/float_bits.h"
#include "kernels/sparse_formats/sparse_formats.h"
#include "test_util.h"

using namespace tf;

namespace {

std::vector<float> sparse_data(size_t n, uint64_t seed, int keep_of_8) {
  tf::test::Rng r(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = (r.next() % 8) < uint64_t(keep_of_8) ? r.uniform(-1, 1) : 0.f;
  return v;
}

bool same_values(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i])) return false;
  return true;
}

}  // namespace

TF_TEST(pack24_round_trip_and_layout) {
  for (auto [rows, cols] : {std::pair<size_t, size_t>{1, 4}, {3, 8}, {5, 12}, {64, 256}, {0, 8}}) {
    auto w = sparse_data(rows * cols, rows + cols, 8);
    // Make it 2:4: zero the two smallest of each group.
    for (size_t g = 0; g < w.size(); g += 4) {
      w[g + 1] = 0.f;
      w[g + 3] = 0.f;
    }
    std::vector<float> values(rows * cols / 2), back(rows * cols, 7.f);
    std::vector<uint8_t> meta(rows * sparse::meta24_row_bytes(cols));
    sparse::pack24(w.data(), rows, cols, values.data(), meta.data());
    sparse::unpack24(values.data(), meta.data(), rows, cols, back.data());
    TF_CHECK(same_values(back, w));
  }
  std::vector<float> w = {0, 5, 0, 7, 0, 0, 0, 3};
  std::vector<float> v(4);
  std::vector<uint8_t> m(1);
  sparse::pack24(w.data(), 1, 8, v.data(), m.data());
  TF_CHECK_EQ(v[0], 5.f);
  TF_CHECK_EQ(v[1], 7.f);
  TF_CHECK_EQ(int(m[0] & 15), 1 | (3 << 2));
  TF_CHECK_EQ(int(m[0] >> 4), 0 | (3 << 2));  // one nonzero at 3: filled with position 0
  w[0] = 1;
  TF_CHECK_THROWS_CODE(sparse::pack24(w.data(), 1, 8, v.data(), m.data()), "BAD_INPUT");
  TF_CHECK_THROWS_CODE(sparse::pack24(w.data(), 1, 6, v.data(), m.data()), "BAD_INPUT");
}

TF_TEST(bitmap_round_trip) {
  for (size_t n : tf::test::lengths(200003)) {
    auto w = sparse_data(n, n, 3);
    size_t nnz = size_t(sparse::nonzeros(w.data(), n));
    std::vector<uint8_t> bits((n + 7) / 8);
    std::vector<float> values(nnz), back(n, 9.f);
    sparse::pack_bitmap(w.data(), n, bits.data(), values.data());
    sparse::unpack_bitmap(bits.data(), values.data(), nnz, n, back.data());
    TF_CHECK(same_values(back, w));
    if (n > 0) TF_CHECK_THROWS_CODE(sparse::unpack_bitmap(bits.data(), values.data(), nnz + 1, n, back.data()), "BAD_INPUT");
  }
}

TF_TEST(csr_round_trip_and_validation) {
  for (auto [rows, cols] : {std::pair<size_t, size_t>{1, 1}, {4, 9}, {100, 300}, {0, 5}, {5, 0}}) {
    auto w = sparse_data(rows * cols, rows * 7 + cols, 2);
    std::vector<int32_t> rp(rows + 1);
    size_t nnz = size_t(sparse::csr_row_ptr(w.data(), rows, cols, rp.data()));
    std::vector<int32_t> ci(nnz);
    std::vector<float> v(nnz), back(rows * cols, 3.f);
    sparse::pack_csr(w.data(), rows, cols, rp.data(), ci.data(), v.data());
    sparse::unpack_csr(rp.data(), ci.data(), v.data(), nnz, rows, cols, back.data());
    TF_CHECK(same_values(back, w));
    if (nnz) {
      ci[0] = int32_t(cols);
      TF_CHECK_THROWS_CODE(sparse::unpack_csr(rp.data(), ci.data(), v.data(), nnz, rows, cols, back.data()), "BAD_INPUT");
      TF_CHECK_THROWS_CODE(sparse::unpack_csr(rp.data(), ci.data(), v.data(), nnz - 1, rows, cols, back.data()), "BAD_INPUT");
    }
  }
}

TF_TEST(bsr_round_trip) {
  for (auto [rows, cols, br, bc] : {std::array<size_t, 4>{4, 4, 2, 2}, {8, 12, 4, 3}, {64, 64, 1, 16}, {6, 6, 6, 6}}) {
    auto w = sparse_data(rows * cols, rows + br, 1);
    std::vector<int32_t> rp(rows / br + 1);
    size_t nnzb = size_t(sparse::bsr_row_ptr(w.data(), rows, cols, br, bc, rp.data()));
    std::vector<int32_t> ci(nnzb);
    std::vector<float> v(nnzb * br * bc), back(rows * cols, 1.f);
    sparse::pack_bsr(w.data(), rows, cols, br, bc, rp.data(), ci.data(), v.data());
    sparse::unpack_bsr(rp.data(), ci.data(), v.data(), nnzb, rows, cols, br, bc, back.data());
    TF_CHECK(same_values(back, w));
  }
  std::vector<float> w(12, 0.f);
  std::vector<int32_t> rp(3);
  TF_CHECK_THROWS_CODE(sparse::bsr_row_ptr(w.data(), 3, 4, 2, 2, rp.data()), "BAD_INPUT");
}

TF_TEST_MAIN
