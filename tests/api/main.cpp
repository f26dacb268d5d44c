#define BOOST_TEST_MODULE herald_api
#include <boost/test/unit_test.hpp>
