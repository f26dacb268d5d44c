#define BOOST_TEST_MODULE herald_cli
#include <boost/test/unit_test.hpp>
