#define BOOST_TEST_MODULE herald_protocol
#include <boost/test/unit_test.hpp>
