#define BOOST_TEST_MODULE herald_actors
#include <boost/test/unit_test.hpp>
