// Literals and sanitizing for generated source: floats that read back bit-exactly (checked by a C++ compiler
// too), and identifiers/comments that no model string can break out of.
#include <cmath>
#include <cstring>
#include <random>
#include <regex>

#include <catch2/catch.hpp>

#include "backends/common/c_literals.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::test;

namespace {

uint32_t bits32(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}

uint64_t bits64(double d) {
    uint64_t b;
    std::memcpy(&b, &d, 8);
    return b;
}

// The value a C++ compiler gives the literal (strtof/strtod implement the same decimal rounding).
float read_float(const std::string& lit) {
    REQUIRE(lit.back() == 'f');
    REQUIRE(lit.find_first_of(".eE") != std::string::npos);  // a float literal, not an integer with f
    return std::strtof(lit.c_str(), nullptr);
}

const std::vector<std::string> kHostileNames = {
    "*/", "/*", "//", "a*/b", "x/*y*/z", "end*", "end/", "line\nbreak", "cr\rlf", "tab\there", "back\\slash",
    "trailing\\", "?\?/", "quote\"s", "r\xc3\xa9sum\xc3\xa9", "\xe2\x80\xae" "rtl", "emoji\xf0\x9f\x94\xa5", "", "_",
    "__", "123", "9lives", "__init__", "a__b", "int", "new", std::string("nul\0byte", 8), "#define x 1",
    std::string(300, 'a'), std::string(100, '9'), std::string(200, '/'), std::string(200, '*')};

}  // namespace

TEST_CASE("c_float round trips exactly", "[backends][literals]") {
    const float specials[] = {0.0f, 1.0f, -1.0f, 0.1f, 1e-45f, -1e-45f, 1.17549435e-38f, 1.1754942e-38f,
                              3.40282347e38f, -3.40282347e38f, 16777217.0f, 123456789.0f, 2.5f, 1e10f};
    for (float f : specials) {
        std::string lit = c_float(f);
        INFO(lit);
        CHECK(bits32(read_float(lit)) == bits32(f));
    }
    std::mt19937 rng(11);
    int checked = 0;
    for (int i = 0; i < 100000; ++i) {
        float f;
        uint32_t b = rng();
        std::memcpy(&f, &b, 4);
        if (!std::isfinite(f)) continue;
        std::string lit = c_float(f);
        if (bits32(read_float(lit)) != bits32(f)) FAIL("c_float(" << b << ") = " << lit);
        ++checked;
    }
    CHECK(checked > 90000);
}

TEST_CASE("c_float special values", "[backends][literals]") {
    CHECK(c_float(0.0f) == "0.0f");
    CHECK(c_float(-0.0f) == "-0.0f");
    CHECK(c_float(1.0f) == "1.0f");
    CHECK(c_float(0.1f) == "0.1f");
    CHECK(c_float(INFINITY) == "HUGE_VALF");
    CHECK(c_float(-INFINITY) == "-HUGE_VALF");
    CHECK(c_float(NAN) == "NAN");
    CHECK(c_float(-NAN) == "NAN");
    CHECK(std::signbit(read_float(c_float(-0.0f))));
}

TEST_CASE("c_double round trips exactly", "[backends][literals]") {
    CHECK(c_double(0.0) == "0.0");
    CHECK(c_double(-0.0) == "-0.0");
    CHECK(c_double(INFINITY) == "HUGE_VAL");
    CHECK(c_double(-INFINITY) == "-HUGE_VAL");
    CHECK(c_double(NAN) == "double(NAN)");
    for (double d : {0.1, 1e-320, -4.9e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 9007199254740993.0}) {
        std::string lit = c_double(d);
        INFO(lit);
        CHECK(lit.find_first_of(".eE") != std::string::npos);
        CHECK(bits64(std::strtod(lit.c_str(), nullptr)) == bits64(d));
    }
    std::mt19937_64 rng(12);
    for (int i = 0; i < 50000; ++i) {
        double d;
        uint64_t b = rng();
        std::memcpy(&d, &b, 8);
        if (!std::isfinite(d)) continue;
        std::string lit = c_double(d);
        if (bits64(std::strtod(lit.c_str(), nullptr)) != b) FAIL("c_double(" << b << ") = " << lit);
    }
}

TEST_CASE("c_int writes literals valid for any int64", "[backends][literals]") {
    CHECK(c_int(0) == "0");
    CHECK(c_int(-5) == "-5");
    CHECK(c_int(INT32_MAX) == "2147483647");
    CHECK(c_int(int64_t(INT32_MAX) + 1) == "INT64_C(2147483648)");
    CHECK(c_int(INT64_MAX) == "INT64_C(9223372036854775807)");
    CHECK(c_int(INT64_MIN) == "(-INT64_C(9223372036854775807) - 1)");
    CHECK(c_int_list({1, -2, int64_t(1) << 40}) == "{1, -2, INT64_C(1099511627776)}");
    CHECK(c_int_list({}) == "{}");
}

TEST_CASE("c_element writes each dtype's literal", "[backends][literals]") {
    Tensor b(DType::Bool, {2});
    b.data<uint8_t>()[0] = 1;
    CHECK(c_element(b, 0) == "true");
    CHECK(c_element(b, 1) == "false");
    Tensor u64(DType::UInt64, {1});
    u64.data<uint64_t>()[0] = UINT64_MAX;
    CHECK(c_element(u64, 0) == "UINT64_C(18446744073709551615)");
    Tensor u32(DType::UInt32, {1});
    u32.data<uint32_t>()[0] = 4000000000u;
    CHECK(c_element(u32, 0) == "4000000000u");
    Tensor h(DType::Float16, {1});
    h.data<uint16_t>()[0] = 0x3c00;
    CHECK(c_element(h, 0) == "15360");  // the bit pattern, as generated code stores fp16
    Tensor i8(DType::Int8, {1});
    i8.data<int8_t>()[0] = -128;
    CHECK(c_element(i8, 0) == "-128");
}

TEST_CASE("sanitize_identifier on ordinary names", "[backends][sanitize]") {
    CHECK(sanitize_identifier("conv1/weight:0") == "conv1_weight_0");
    CHECK(sanitize_identifier("layer.0.bias") == "layer_0_bias");
    CHECK(sanitize_identifier("") == "v");
    CHECK(sanitize_identifier("*/") == "v");
    CHECK(sanitize_identifier("123abc") == "v123abc");
    CHECK(sanitize_identifier("__init__") == "init");
    CHECK(sanitize_identifier("a__b") == "a_b");
    CHECK(sanitize_identifier("r\xc3\xa9sum\xc3\xa9") == "r_sum");
    CHECK(sanitize_identifier(std::string(100, 'a')).size() == 40);
    CHECK(sanitize_identifier("abcdef", 3) == "abc");
}

TEST_CASE("sanitize_identifier gives a valid bounded identifier for hostile names", "[backends][sanitize]") {
    const std::regex ident("[A-Za-z][A-Za-z0-9_]*");
    std::vector<std::string> names = kHostileNames;
    std::mt19937 rng(3);
    for (int i = 0; i < 2000; ++i) {
        std::string s(rng() % 60, '\0');
        for (char& c : s) c = char(rng());
        names.push_back(s);
    }
    for (const std::string& s : names) {
        for (std::size_t max_len : {std::size_t(1), std::size_t(8), std::size_t(40)}) {
            std::string id = sanitize_identifier(s, max_len);
            INFO("name '" << s << "' max_len " << max_len << " -> '" << id << "'");
            CHECK(std::regex_match(id, ident));
            CHECK(id.find("__") == std::string::npos);
            CHECK(id.back() != '_');
            CHECK(id.size() <= max_len);
        }
    }
}

TEST_CASE("sanitize_comment keeps printable text and breaks comment syntax", "[backends][sanitize]") {
    CHECK(sanitize_comment("conv1 (3x3)") == "conv1 (3x3)");
    CHECK(sanitize_comment("a*/b") == "a*_b");
    CHECK(sanitize_comment("a/*b") == "a/_b");
    CHECK(sanitize_comment("http://x") == "http:/_x");
    CHECK(sanitize_comment("line\nbreak") == "line?break");
    CHECK(sanitize_comment("back\\slash") == "back?slash");
    CHECK(sanitize_comment("end/") == "end_");
    CHECK(sanitize_comment("caf\xc3\xa9") == "caf??");
    CHECK(sanitize_comment("") == "");
}

TEST_CASE("sanitize_comment output is safe inside both comment styles for hostile names", "[backends][sanitize]") {
    std::vector<std::string> names = kHostileNames;
    std::mt19937 rng(4);
    const char alphabet[] = "/*\\\n\r?ab \t\"'";
    for (int i = 0; i < 3000; ++i) {
        std::string s(rng() % 40, '\0');
        for (char& c : s) c = rng() % 4 ? alphabet[rng() % (sizeof(alphabet) - 1)] : char(rng());
        names.push_back(s);
    }
    for (const std::string& s : names) {
        for (std::size_t max_len : {std::size_t(10), std::size_t(80)}) {
            std::string c = sanitize_comment(s, max_len);
            INFO("name '" << s << "' -> '" << c << "'");
            for (char ch : c) CHECK((ch >= 0x20 && ch < 0x7f && ch != '\\'));
            CHECK(c.find("*/") == std::string::npos);
            CHECK(c.find("/*") == std::string::npos);
            CHECK(c.find("//") == std::string::npos);
            if (!c.empty()) CHECK((c.back() != '/' && c.back() != '*'));
            CHECK(c.size() <= max_len);
        }
    }
}

TEST_CASE("literals compile and read back exactly in C++14", "[backends][literals]") {
    // A program that stores each literal next to its expected bit pattern and checks them at run time.
    std::vector<float> fs = {0.0f, -0.0f, 1e-45f, -1e-45f, 1.1754942e-38f, 3.40282347e38f, 0.1f, -2.5f, 1e-40f};
    std::vector<double> ds = {0.0, -0.0, 4.9e-324, 1e-310, 1.7976931348623157e308, 0.1};
    std::mt19937 rng(5);
    for (int i = 0; i < 200; ++i) {
        float f;
        uint32_t b = rng();
        std::memcpy(&f, &b, 4);
        if (std::isfinite(f)) fs.push_back(f);
    }
    std::string src = "#include <cmath>\n#include <cstdint>\n#include <cstring>\n#include <cstdio>\n";
    src += "static const float kF[] = {";
    for (float f : fs) src += c_float(f) + ", ";
    src += "HUGE_VALF, -HUGE_VALF};\nstatic const uint32_t kFB[] = {";
    for (float f : fs) src += std::to_string(bits32(f)) + "u, ";
    src += "0x7f800000u, 0xff800000u};\nstatic const double kD[] = {";
    for (double d : ds) src += c_double(d) + ", ";
    src += "HUGE_VAL};\nstatic const uint64_t kDB[] = {";
    for (double d : ds) src += "UINT64_C(" + std::to_string(bits64(d)) + "), ";
    src += "UINT64_C(0x7ff0000000000000)};\n";
    src += "static const int64_t kI[] = {" + c_int(INT64_MIN) + ", " + c_int(INT64_MAX) + ", " + c_int(-1) + "};\n";
    src += "static const float kNan = NAN;\nstatic const double kDNan = " + c_double(NAN) + ";\n";
    src += R"(int main() {
    int bad = 0;
    for (unsigned i = 0; i < sizeof(kF) / sizeof(kF[0]); ++i) {
        uint32_t b; std::memcpy(&b, &kF[i], 4);
        if (b != kFB[i]) { std::printf("float %u: %08x != %08x\n", i, b, kFB[i]); ++bad; }
    }
    for (unsigned i = 0; i < sizeof(kD) / sizeof(kD[0]); ++i) {
        uint64_t b; std::memcpy(&b, &kD[i], 8);
        if (b != kDB[i]) { std::printf("double %u differs\n", i); ++bad; }
    }
    if (kI[0] != INT64_MIN || kI[1] != INT64_MAX || kI[2] != -1) ++bad;
    if (!std::isnan(kNan) || !std::isnan(kDNan)) ++bad;
    return bad;
}
)";
    TempDir dir;
    write_text_file(dir.file("lit.cpp"), src);
    std::vector<std::string> compilers = {KILN_TEST_CXX};
    if (std::string(KILN_TEST_CLANGXX).size()) compilers.push_back(KILN_TEST_CLANGXX);
    for (const std::string& cxx : compilers) {
        INFO(cxx);
        CommandResult build = run_command({cxx, "-std=c++14", "-Wall", "-Wextra", "-Werror", "-pedantic",
                                           dir.file("lit.cpp"), "-o", dir.file("lit")});
        INFO(build.err);
        REQUIRE(build.exit_code == 0);
        CommandResult run = run_command({dir.file("lit")});
        INFO(run.out);
        CHECK(run.exit_code == 0);
    }
}
