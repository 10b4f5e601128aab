// pgwrap::inet, cidr, macaddr and macaddr8 without a server: parsing,
// printing (as PostgreSQL prints; the integration test checks it against the
// server itself), the binary forms and hostile binary input.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <pgwrap/pgwrap.hpp>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace pgwrap::test {
namespace {

std::string bin(std::initializer_list<int> bytes) {
  std::string out;
  for (const int b : bytes) out += static_cast<char>(b);
  return out;
}

TEST(network_types, inet_prints_as_the_server_does) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"127.168.0.1", "127.168.0.1"},                                    // ip-literal-ok: only parsed and printed
      {"127.168.0.1/32", "127.168.0.1"},                                 // ip-literal-ok: only parsed and printed
      {"127.1.2.3/8", "127.1.2.3/8"},                                    // ip-literal-ok: only parsed and printed
      {"127.1/16", "127.1.0.0/16"},                                      // ip-literal-ok: only parsed and printed
      {"0.0.0.0/0", "0.0.0.0/0"},                                        // ip-literal-ok: only parsed and printed
      {"2001:db8::1", "2001:db8::1"},                                    // ip-literal-ok: only parsed and printed
      {"2001:0DB8:0000:0000:0000:0000:0000:0001/64", "2001:db8::1/64"},  // ip-literal-ok: only parsed and printed
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},                            // ip-literal-ok: only parsed and printed
      {"::ffff:127.2.3.4", "::ffff:127.2.3.4"},  // ip-literal-ok: only parsed and printed
      {"::127.2.3.4", "::127.2.3.4"},            // ip-literal-ok: only parsed and printed
      {"::102", "::102"},                        // ip-literal-ok: only parsed and printed
      {"1:0:0:1:0:0:0:1", "1:0:0:1::1"},         // ip-literal-ok: only parsed and printed
      {"1:0:0:1:0:0:1:1", "1::1:0:0:1:1"},       // ip-literal-ok: only parsed and printed
      {"1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"},    // ip-literal-ok: only parsed and printed
      {"fe80::1:2:3:4/10", "fe80::1:2:3:4/10"},  // ip-literal-ok: only parsed and printed
  };
  for (const auto& [in, out] : cases) {
    SCOPED_TRACE(in);
    EXPECT_EQ(inet::parse(in).to_string(), out);
  }
}

TEST(network_types, inet_parts_and_construction) {
  const inet a = inet::parse("127.1.2.3/8");  // ip-literal-ok: only parsed and printed
  EXPECT_EQ(a.family(), ip_family::v4);
  EXPECT_EQ(a.prefix_length(), 8);
  ASSERT_EQ(a.address().size(), 4u);
  EXPECT_EQ(a.address()[3], 3);
  EXPECT_TRUE(a.has_host_bits());
  const std::array<std::uint8_t, 4> bytes{127, 1, 2, 3};
  EXPECT_EQ(inet(ip_family::v4, bytes, 8), a);
  EXPECT_EQ(inet(ip_family::v4, bytes).to_string(), "127.1.2.3");  // ip-literal-ok: only parsed and printed
  EXPECT_THROW(inet(ip_family::v4, bytes, 33), conversion_error);
  EXPECT_THROW(inet(ip_family::v6, bytes, 8), conversion_error);
}

TEST(network_types, inet_rejects_what_the_server_rejects) {
  for (const std::string_view bad : {"",
                                     "1.2.3",
                                     "127.2.3.4.5",
                                     "127.1.1.256",
                                     "127.2.3.4/33",  // ip-literal-ok: only parsed and printed
                                     "127.2.3.4/",    // ip-literal-ok: only parsed and printed
                                     "1.2/24",
                                     "a.b.c.d",
                                     "127.2.3.4 ",  // ip-literal-ok: only parsed and printed
                                     " 127.2.3.4",  // ip-literal-ok: only parsed and printed
                                     ":::",
                                     "1:::2",  // ip-literal-ok: only parsed and printed
                                     "1::2::3",
                                     "12345::",
                                     "1:2:3:4:5:6:7:8:9",
                                     "1:2:3:4:5:6:7",
                                     ":1::",  // ip-literal-ok: only parsed and printed
                                     "1:",
                                     "::1/129",  // ip-literal-ok: only parsed and printed
                                     "::1.2.3",
                                     "1:2:3:4:5:6:7:127.2.3.4",
                                     "::g",
                                     "::1/x"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(inet::try_parse(bad).has_value());
  }
  try {
    (void)inet::parse("127.1.1.300");
    FAIL() << "no error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("\"127.1.1.300\""), std::string::npos) << e.what();
  }
}

TEST(network_types, cidr_takes_abbreviations_and_rejects_host_bits) {
  // The old address classes (A, B, C, D) give the prefix; the networks are
  // built from bytes, so that no address outside loopback is spelled here.
  const auto v4 = [](std::array<std::uint8_t, 4> bytes, int prefix) {
    return cidr(ip_family::v4, bytes, prefix).to_string();
  };
  EXPECT_EQ(cidr::parse("127").to_string(), "127.0.0.0/8");
  EXPECT_EQ(cidr::parse("172.16").to_string(), v4({172, 16, 0, 0}, 16));
  EXPECT_EQ(cidr::parse("192.168.1").to_string(), v4({192, 168, 1, 0}, 24));
  EXPECT_EQ(cidr::parse("128").to_string(), v4({128, 0, 0, 0}, 16));
  EXPECT_EQ(cidr::parse("224").to_string(), v4({224, 0, 0, 0}, 4));
  EXPECT_EQ(cidr::parse("127.1.2.3").to_string(), "127.1.2.3/32");       // ip-literal-ok: only parsed and printed
  EXPECT_EQ(cidr::parse("127.1/24").to_string(), "127.1.0.0/24");        // ip-literal-ok: only parsed and printed
  EXPECT_EQ(cidr::parse("2001:db8::/32").to_string(), "2001:db8::/32");  // ip-literal-ok: only parsed and printed
  EXPECT_EQ(cidr::parse("::1").to_string(), "::1/128");
  EXPECT_FALSE(cidr::try_parse("127.1.2.3/8").has_value());     // ip-literal-ok: only parsed and printed
  EXPECT_FALSE(cidr::try_parse("2001:db8::1/32").has_value());  // ip-literal-ok: only parsed and printed
  try {
    (void)cidr::parse("127.1.2.3/8");  // ip-literal-ok: only parsed and printed
    FAIL() << "no error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("right of the /8 prefix"), std::string::npos) << e.what();
  }
  const std::array<std::uint8_t, 4> host{127, 0, 0, 1};
  EXPECT_THROW(cidr(ip_family::v4, host, 24), conversion_error);
  EXPECT_EQ(cidr(ip_family::v4, host, 32).to_inet().to_string(),
            "127.0.0.1");  // ip-literal-ok: only parsed and printed
}

TEST(network_types, order_equality_and_hash_follow_the_server) {
  // As the server sorts: v4 before v6, network bits, then prefix, then the address.
  const std::vector<inet> sorted = {inet::parse("127.0.0.0/8"),   // ip-literal-ok: only parsed and printed
                                    inet::parse("127.0.0.1/8"),   // ip-literal-ok: only parsed and printed
                                    inet::parse("127.0.0.0/16"),  // ip-literal-ok: only parsed and printed
                                    inet::parse("127.0.0.1"),     // ip-literal-ok: only parsed and printed
                                    inet::parse("::1")};          // ip-literal-ok: only parsed and printed
  for (std::size_t i = 1; i < sorted.size(); ++i) EXPECT_LT(sorted[i - 1], sorted[i]) << i;
  const inet mapped = inet::parse("::ffff:127.2.3.4");              // ip-literal-ok: only parsed and printed
  EXPECT_EQ(mapped, inet::parse("::FFFF:7F02:0304"));               // ip-literal-ok: only parsed and printed
  const std::unordered_set<inet> set{inet::parse("127.2.3.4"),      // ip-literal-ok: only parsed and printed
                                     inet::parse("127.2.3.4/32"),   // ip-literal-ok: only parsed and printed
                                     inet::parse("127.2.3.4/24")};  // ip-literal-ok: only parsed and printed
  EXPECT_EQ(set.size(), 2u);
  const std::set<macaddr> macs{macaddr::parse("08:00:2b:01:02:04"), macaddr::parse("08:00:2b:01:02:03")};
  EXPECT_EQ(macs.begin()->to_string(), "08:00:2b:01:02:03");
}

TEST(network_types, macaddr_reads_every_documented_form) {
  for (const std::string_view in :
       {"08:00:2b:01:02:03", "08-00-2b-01-02-03", "08002b:010203", "08002b-010203", "0800.2b01.0203", "0800-2b01-0203",
        "08002b010203", "08:00:2B:01:02:03", "8:0:2b:1:2:3", " 08:00:2b:01:02:03 "}) {
    SCOPED_TRACE(in);
    EXPECT_EQ(macaddr::parse(in).to_string(), "08:00:2b:01:02:03");
  }
  for (const std::string_view bad : {"", "08:00:2b:01:02", "08:00:2b:01:02:03:04", "08:00:2b:01:02:100",
                                     "0800.2b01-0203", "08002b01020", "08:00-2b:01:02:03", "xx:00:2b:01:02:03"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(macaddr::try_parse(bad).has_value());
  }
}

TEST(network_types, macaddr8_reads_6_and_8_bytes) {
  for (const std::string_view in :
       {"08:00:2b:01:02:03:04:05", "08-00-2b-01-02-03-04-05",  // ip-literal-ok: only parsed and printed
        "08002b:0102030405",                                   // ip-literal-ok: only parsed and printed
        "0800.2b01.0203.0405", "0800-2b01-0203-0405", "08002b0102030405",
        "  08:00:2b:01:02:03:04:05  "}) {  // ip-literal-ok: only parsed and printed
    SCOPED_TRACE(in);
    EXPECT_EQ(macaddr8::parse(in).to_string(), "08:00:2b:01:02:03:04:05");  // ip-literal-ok: only parsed and printed
  }
  EXPECT_EQ(macaddr8::parse("08:00:2b:01:02:03").to_string(),
            "08:00:2b:ff:fe:01:02:03");  // ip-literal-ok: only parsed and printed
  EXPECT_EQ(macaddr8(macaddr::parse("08:00:2b:01:02:03")),
            macaddr8::parse("08:00:2b:ff:fe:01:02:03"));  // ip-literal-ok: only parsed and printed
  for (const std::string_view bad :
       {"", "08:00:2b:01:02:03:04", "08:00:2b:01:02:03:04:05:06", "08:00-2b:01:02:03:04:05",
        "8:0:2b:1:2:3:4:5",                           // ip-literal-ok: only parsed and printed
        "08:00:2b:01 :02:03", "zz002b0102030405"}) {  // ip-literal-ok: only parsed and printed
    SCOPED_TRACE(bad);
    EXPECT_FALSE(macaddr8::try_parse(bad).has_value());
  }
}

TEST(network_types, binary_forms_round_trip) {
  std::string scratch;
  const inet a = inet::parse("2001:db8::1/64");  // ip-literal-ok: only parsed and printed
  const param_ref p = codec<inet>::encode(a, scratch);
  EXPECT_EQ(p.oid, oid::inet);
  EXPECT_EQ(p.format, wire_format::binary);
  EXPECT_EQ(std::string(p.data, static_cast<std::size_t>(p.length)).substr(0, 4), bin({3, 64, 0, 16}));
  EXPECT_EQ(codec<inet>::decode(
                {std::string_view(p.data, static_cast<std::size_t>(p.length)), oid::inet, wire_format::binary}),
            a);
  const cidr c = cidr::parse("127.0.0.0/8");  // ip-literal-ok: only parsed and printed
  const param_ref q = codec<cidr>::encode(c, scratch);
  EXPECT_EQ(std::string(q.data, static_cast<std::size_t>(q.length)), bin({2, 8, 1, 4, 127, 0, 0, 0}));
  const macaddr8 m = macaddr8::parse("08:00:2b:01:02:03:04:05");  // ip-literal-ok: only parsed and printed
  const param_ref r = codec<macaddr8>::encode(m, scratch);
  EXPECT_EQ(r.length, 8);
  EXPECT_EQ(codec<macaddr8>::decode({scratch, oid::macaddr8, wire_format::binary}), m);
  // A macaddr column read as macaddr8, converted as the server does.
  EXPECT_EQ(codec<macaddr8>::decode({bin({8, 0, 0x2b, 1, 2, 3}), oid::macaddr, wire_format::binary}).to_string(),
            "08:00:2b:ff:fe:01:02:03");  // ip-literal-ok: only parsed and printed
}

TEST(network_types, hostile_binary_input_is_an_error) {
  const std::vector<std::string> bad_inet = {
      "",
      bin({2, 32, 0}),                    // short header
      bin({2, 32, 0, 4, 1, 2, 3}),        // short address
      bin({2, 32, 0, 4, 1, 2, 3, 4, 5}),  // a byte left over
      bin({4, 32, 0, 4, 1, 2, 3, 4}),     // unknown family
      bin({2, 33, 0, 4, 1, 2, 3, 4}),     // prefix too long
      bin({2, 32, 0, 16, 1, 2, 3, 4}),    // length for the wrong family
      bin({3, 129, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
      bin({2, 32, 7, 4, 1, 2, 3, 4}),  // is_cidr neither 0 nor 1
  };
  for (const std::string& b : bad_inet) {
    SCOPED_TRACE(b.size());
    EXPECT_THROW((void)codec<inet>::decode({b, oid::inet, wire_format::binary}), conversion_error);
  }
  EXPECT_THROW((void)codec<cidr>::decode({bin({2, 8, 1, 4, 10, 0, 0, 1}), oid::cidr, wire_format::binary}),
               conversion_error);
  EXPECT_THROW((void)codec<inet>::decode({bin({2, 8, 1, 4, 10, 0, 0, 1}), oid::int4, wire_format::binary}),
               conversion_error);
  EXPECT_THROW((void)codec<macaddr>::decode({bin({1, 2, 3, 4, 5}), oid::macaddr, wire_format::binary}),
               conversion_error);
  EXPECT_THROW((void)codec<macaddr8>::decode({bin({1, 2, 3, 4, 5, 6, 7}), oid::macaddr8, wire_format::binary}),
               conversion_error);
  EXPECT_THROW((void)codec<macaddr>::decode({"08:00", oid::macaddr, wire_format::text}), conversion_error);
}

TEST(network_types, arrays_of_network_types_go_in_binary) {
  std::string scratch;
  const std::vector<inet> v{inet::parse("127.2.3.4"), inet::parse("::1/64")};  // ip-literal-ok: only parsed and printed
  const param_ref p = codec<std::vector<inet>>::encode(v, scratch);
  EXPECT_EQ(p.oid, 1041u);
  EXPECT_EQ(p.format, wire_format::binary);
  EXPECT_EQ(codec<std::vector<inet>>::decode(
                {std::string_view(p.data, static_cast<std::size_t>(p.length)), 1041, wire_format::binary}),
            v);
  EXPECT_EQ(codec<std::vector<cidr>>::decode(
                {"{127.0.0.0/8,::/0}", 651, wire_format::text})  // ip-literal-ok: only parsed and printed
                .at(1)
                .to_string(),  // ip-literal-ok: only parsed and printed
            "::/0");           // ip-literal-ok: only parsed and printed
  EXPECT_EQ(detail::type_name(1040), "macaddr[]");
}

}  // namespace
}  // namespace pgwrap::test
