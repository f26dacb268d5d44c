#define BOOST_TEST_MODULE herald_load_tests
#include <boost/test/unit_test.hpp>
