# -*- encoding: utf-8 -*-
# stub: json 1.8.3 ruby lib

Gem::Specification.new do |s|
  s.name = "json"
  s.version = "1.8.3"

  s.required_rubygems_version = Gem::Requirement.new(">= 0") if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib"]
  s.date = "2016-10-08"
  s.files = ["json.rb", "json/add/bigdecimal.rb", "json/add/complex.rb", "json/add/core.rb", "json/add/date.rb", "json/add/date_time.rb", "json/add/exception.rb", "json/add/ostruct.rb", "json/add/range.rb", "json/add/rational.rb", "json/add/regexp.rb", "json/add/struct.rb", "json/add/symbol.rb", "json/add/time.rb", "json/common.rb", "json/ext.rb", "json/ext/generator.so", "json/ext/parser.so", "json/generic_object.rb", "json/version.rb"]
  s.rubygems_version = "2.5.1"
  s.summary = "This json is bundled with Ruby"
end
